#include "coffer/core/sse/engine.h"

#include <nlohmann/json.hpp>

#include "coffer/core/auth/s3_errors.h"

#include "primitives.h"

namespace coffer::core::sse {

using auth::MakeS3Error;
using auth::S3ErrorCode;

namespace {

constexpr std::string_view kKekLabel = "coffer-sse-v1 kek";
constexpr std::string_view kSealLabel = "coffer-sse-v1 object key";
constexpr std::string_view kCustomerCheckLabel = "coffer-sse-v1 customer key check";

std::string ObjectName(std::string_view bucket, std::string_view object) {
  std::string name(bucket);
  name += '/';
  name += object;
  return name;
}

// Turns a key service failure into what the S3 layer answers. The key
// service's own message is dropped: it is not ours to show to clients.
base::Error KeyServiceError(const base::Error& error, std::string_view key_name) {
  const std::string key(key_name);
  switch (error.code()) {
    case base::ErrorCode::kUnavailable:
    case base::ErrorCode::kDeadlineExceeded:
      return MakeS3Error(S3ErrorCode::kServiceUnavailable,
                         "The key service is unavailable. Please retry.");
    case base::ErrorCode::kNotFound:
      return MakeS3Error(S3ErrorCode::kKmsNotFoundException, "Invalid keyId " + key);
    case base::ErrorCode::kPermissionDenied:
    case base::ErrorCode::kUnauthenticated:
      return MakeS3Error(S3ErrorCode::kAccessDenied,
                         "The key service refused the use of key " + key + ".");
    case base::ErrorCode::kDataLoss:
      return base::DataLoss("sse: the data key under " + key + " does not open");
    case base::ErrorCode::kInvalidArgument:
      return MakeS3Error(S3ErrorCode::kInvalidArgument, "The key service rejected key " + key);
    default:
      return MakeS3Error(
          S3ErrorCode::kInternalError,
          "The key service failed (" + std::string(ErrorCodeName(error.code())) + ").");
  }
}

// The per-object key-encryption key.
base::Result<base::Secret> DeriveKek(const Engine::Primitives& primitives, std::string_view root,
                                     Mode mode, std::string_view bucket, std::string_view object) {
  std::string info(kKekLabel);
  info.push_back('\0');
  info.push_back(static_cast<char>(mode));
  info.push_back('\0');
  info += ObjectName(bucket, object);
  return primitives.HmacSha256(root, info);
}

std::string SealAad(Mode mode, Algorithm algorithm) {
  std::string aad(kSealLabel);
  aad.push_back('\0');
  aad.push_back(static_cast<char>(mode));
  aad.push_back(static_cast<char>(algorithm));
  return aad;
}

base::Result<std::string> CustomerKeyCheck(const Engine::Primitives& primitives,
                                           const base::Secret& customer_key,
                                           std::string_view salt) {
  std::string data(kCustomerCheckLabel);
  data += salt;
  COFFER_ASSIGN_OR_RETURN(base::Secret mac, primitives.HmacSha256(customer_key.Reveal(), data));
  return std::string(mac.Reveal());
}

base::Status CheckCustomerKeySize(const base::Secret* customer_key) {
  if (customer_key == nullptr || customer_key->size() != kObjectKeyBytes) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "The secret key was invalid for the specified algorithm.");
  }
  return base::Ok();
}

// The root secret of a new seal: the data key (SSE-S3, SSE-KMS) or the
// client's key (SSE-C); fills the record's key fields.
base::Result<base::Secret> NewRoot(const Engine::Primitives& primitives, const SealRequest& request,
                                   std::string_view bucket, std::string_view object,
                                   env::KeyService& key_service, base::Random& random,
                                   Metadata& metadata) {
  if (request.mode == Mode::kSseC) {
    COFFER_RETURN_IF_ERROR(CheckCustomerKeySize(request.customer_key));
    metadata.customer_key_salt = random.Bytes(kCustomerKeySaltBytes);
    COFFER_ASSIGN_OR_RETURN(
        metadata.customer_key_hmac,
        CustomerKeyCheck(primitives, *request.customer_key, metadata.customer_key_salt));
    return *request.customer_key;
  }
  if (request.key_name.empty() || request.key_name.size() > kMaxKeyNameBytes) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument, "A valid KMS key id is required.");
  }
  const std::string_view client_context =
      request.mode == Mode::kSseKms ? request.context : std::string_view();
  COFFER_ASSIGN_OR_RETURN(const std::string context,
                          Engine::KeyServiceContext(bucket, object, client_context));
  if (!client_context.empty()) {
    // Stored canonical and without the ARN, which is re-derived on Open.
    auto doc = nlohmann::json::parse(client_context, nullptr, false);
    doc.erase("aws:s3:arn");
    metadata.context = doc.empty()
                           ? std::string()
                           : doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (metadata.context.size() > kMaxContextBytes) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument, "The encryption context is too long.");
    }
  }
  auto data_key = key_service.GenerateKey(request.key_name, context);
  if (!data_key.has_value()) return KeyServiceError(data_key.error(), request.key_name);
  if (data_key->plaintext.size() != kKeyBytes ||
      data_key->ciphertext.size() > kMaxDataKeyCiphertextBytes) {
    return MakeS3Error(S3ErrorCode::kInternalError, "The key service returned a bad data key.");
  }
  metadata.key_name = std::string(request.key_name);
  metadata.data_key_ciphertext = std::move(data_key->ciphertext);
  return std::move(data_key->plaintext);
}

// Seals `key` into metadata.sealed_object_key for bucket/object.
base::Status SealObjectKey(const Engine::Primitives& primitives, const base::Secret& root,
                           const ObjectKey& key, std::string_view bucket, std::string_view object,
                           base::Random& random, Metadata& metadata) {
  COFFER_ASSIGN_OR_RETURN(base::Secret kek,
                          DeriveKek(primitives, root.Reveal(), metadata.mode, bucket, object));
  const std::string nonce = random.Bytes(kNonceBytes);
  COFFER_ASSIGN_OR_RETURN(
      std::string sealed,
      primitives.Seal(Algorithm::kAes256Gcm, kek.Reveal(), nonce,
                      SealAad(metadata.mode, metadata.algorithm), key.secret().Reveal()));
  metadata.sealed_object_key = nonce + sealed;
  return base::Ok();
}

base::Result<Metadata> SealKey(const Engine::Primitives& primitives, const ObjectKey& key,
                               Algorithm algorithm, const SealRequest& request,
                               std::string_view bucket, std::string_view object,
                               env::KeyService& key_service, base::Random& random) {
  if (request.mode != Mode::kSseS3 && request.mode != Mode::kSseKms &&
      request.mode != Mode::kSseC) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "The encryption method specified is not supported");
  }
  Metadata metadata;
  metadata.mode = request.mode;
  metadata.algorithm = algorithm;
  COFFER_ASSIGN_OR_RETURN(base::Secret root, NewRoot(primitives, request, bucket, object,
                                                     key_service, random, metadata));
  COFFER_RETURN_IF_ERROR(SealObjectKey(primitives, root, key, bucket, object, random, metadata));
  return metadata;
}

}  // namespace

Engine::Engine(std::unique_ptr<Primitives> primitives) : primitives_(std::move(primitives)) {}
Engine::~Engine() = default;

base::Result<std::unique_ptr<Engine>> Engine::Create(ossl_lib_ctx_st* libctx) {
  COFFER_ASSERT(libctx != nullptr);
  auto p = std::make_unique<Primitives>();
  p->libctx = libctx;
  p->aes_gcm = EVP_CIPHER_fetch(libctx, "AES-256-GCM", nullptr);
  p->chacha = EVP_CIPHER_fetch(libctx, "ChaCha20-Poly1305", nullptr);
  p->hmac = EVP_MAC_fetch(libctx, "HMAC", nullptr);
  if (p->aes_gcm == nullptr || p->chacha == nullptr || p->hmac == nullptr) {
    return base::Internal(
        "sse: the OpenSSL library context lacks AES-256-GCM, "
        "ChaCha20-Poly1305 or HMAC");
  }
  return std::unique_ptr<Engine>(new Engine(std::move(p)));
}

base::Result<std::string> Engine::KeyServiceContext(std::string_view bucket,
                                                    std::string_view object,
                                                    std::string_view client_context) {
  const std::string arn = "arn:aws:s3:::" + ObjectName(bucket, object);
  nlohmann::json doc = nlohmann::json::object();
  if (!client_context.empty()) {
    const base::Error bad = MakeS3Error(
        S3ErrorCode::kInvalidArgument,
        "The encryption context must be a JSON object of strings of at most 8192 bytes.");
    if (client_context.size() > kMaxContextBytes) return bad;
    doc = nlohmann::json::parse(client_context, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return bad;
    for (const auto& [name, value] : doc.items()) {
      if (!value.is_string()) return bad;
    }
    if (auto it = doc.find("aws:s3:arn"); it != doc.end() && it->get<std::string>() != arn) {
      return MakeS3Error(S3ErrorCode::kInvalidArgument,
                         "The encryption context names another object's aws:s3:arn.");
    }
  }
  doc["aws:s3:arn"] = arn;
  // nlohmann's default object is a std::map: keys come out sorted.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

base::Result<Sealed> Engine::Seal(const SealRequest& request, std::string_view bucket,
                                  std::string_view object, env::KeyService& key_service,
                                  base::Random& random) const {
  ObjectKey key(base::Secret(random.Bytes(kObjectKeyBytes)));
  const Algorithm algorithm = request.algorithm.value_or(PreferredAlgorithm());
  if (primitives_->Cipher(algorithm) == nullptr) {
    return MakeS3Error(S3ErrorCode::kInvalidArgument, "Unknown encryption algorithm.");
  }
  COFFER_ASSIGN_OR_RETURN(Metadata metadata, SealKey(*primitives_, key, algorithm, request, bucket,
                                                     object, key_service, random));
  return Sealed{std::move(key), std::move(metadata)};
}

base::Result<ObjectKey> Engine::Open(const Metadata& metadata, std::string_view bucket,
                                     std::string_view object, env::KeyService& key_service,
                                     const base::Secret* customer_key) const {
  base::Secret root;
  if (metadata.mode == Mode::kSseC) {
    if (customer_key == nullptr) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "The object was stored using a form of Server Side Encryption. The "
                         "correct parameters must be provided to retrieve the object.");
    }
    COFFER_RETURN_IF_ERROR(CheckCustomerKeySize(customer_key));
    COFFER_ASSIGN_OR_RETURN(const std::string check, CustomerKeyCheck(*primitives_, *customer_key,
                                                                      metadata.customer_key_salt));
    // SECURITY: constant time, so the comparison leaks nothing about the key.
    if (!base::Secret(check).EqualsConstantTime(metadata.customer_key_hmac)) {
      return MakeS3Error(S3ErrorCode::kAccessDenied,
                         "The provided SSE-C key does not match the object's key.");
    }
    root = *customer_key;
  } else {
    if (customer_key != nullptr) {
      return MakeS3Error(S3ErrorCode::kInvalidRequest,
                         "The encryption parameters are not applicable to this object.");
    }
    COFFER_ASSIGN_OR_RETURN(const std::string context,
                            KeyServiceContext(bucket, object, metadata.context));
    auto data_key = key_service.Decrypt(metadata.key_name, metadata.data_key_ciphertext, context);
    if (!data_key.has_value()) return KeyServiceError(data_key.error(), metadata.key_name);
    root = std::move(*data_key);
  }
  auto kek = DeriveKek(*primitives_, root.Reveal(), metadata.mode, bucket, object);
  if (!kek.has_value()) return kek.error();
  const std::string_view sealed = metadata.sealed_object_key;
  if (sealed.size() != kSealedObjectKeyBytes) {
    return base::DataLoss("sse: the sealed object key of " + ObjectName(bucket, object) +
                          " has the wrong size");
  }
  auto key =
      primitives_->Open(Algorithm::kAes256Gcm, kek->Reveal(), sealed.substr(0, kNonceBytes),
                        SealAad(metadata.mode, metadata.algorithm), sealed.substr(kNonceBytes));
  if (!key.has_value()) {
    return base::DataLoss("sse: the object key of " + ObjectName(bucket, object) +
                          " does not open (tampered, or moved from another object)");
  }
  return ObjectKey(base::Secret(std::move(*key)));
}

base::Result<Metadata> Engine::Reseal(const Metadata& from, std::string_view from_bucket,
                                      std::string_view from_object,
                                      const base::Secret* from_customer_key, const SealRequest& to,
                                      std::string_view to_bucket, std::string_view to_object,
                                      env::KeyService& key_service, base::Random& random) const {
  COFFER_ASSIGN_OR_RETURN(ObjectKey key,
                          Open(from, from_bucket, from_object, key_service, from_customer_key));
  return SealKey(*primitives_, key, from.algorithm, to, to_bucket, to_object, key_service, random);
}

base::Result<std::optional<Metadata>> Engine::Rewrap(const Metadata& metadata,
                                                     std::string_view bucket,
                                                     std::string_view object,
                                                     env::KeyService& key_service) const {
  if (metadata.mode == Mode::kSseC) return std::optional<Metadata>();
  COFFER_ASSIGN_OR_RETURN(const std::string context,
                          KeyServiceContext(bucket, object, metadata.context));
  auto rewrapped = key_service.Rewrap(metadata.key_name, metadata.data_key_ciphertext, context);
  if (!rewrapped.has_value()) return KeyServiceError(rewrapped.error(), metadata.key_name);
  if (rewrapped->empty() || rewrapped->size() > kMaxDataKeyCiphertextBytes) {
    return MakeS3Error(S3ErrorCode::kInternalError, "The key service returned a bad ciphertext.");
  }
  Metadata out = metadata;
  out.data_key_ciphertext = std::move(*rewrapped);
  return std::optional<Metadata>(std::move(out));
}

}  // namespace coffer::core::sse
