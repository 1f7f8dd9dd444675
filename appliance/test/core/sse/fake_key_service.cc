#include "fake_key_service.h"

#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace coffer::core::sse::testing {

TestRandom::TestRandom(std::uint64_t seed) : ctx_(OSSL_LIB_CTX_new()), state_(seed) {}
TestRandom::~TestRandom() { OSSL_LIB_CTX_free(ctx_); }

void TestRandom::Fill(std::span<std::byte> out) {
  for (auto& b : out) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    b = static_cast<std::byte>(state_ >> 56);
  }
}

std::uint64_t TestRandom::Uniform(std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t v = 0;
  Fill(std::as_writable_bytes(std::span(&v, 1)));
  return hi - lo == UINT64_MAX ? v : lo + v % (hi - lo + 1);
}

namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// AES-256-GCM, nonce 12, returns ct||tag or (decrypt) plaintext; false on failure.
bool Gcm(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad,
         std::string_view in, std::string& out) {
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string_view body = in;
  std::string tag(16, '\0');
  if (!encrypt) {
    if (in.size() < 16) return false;
    body = in.substr(0, in.size() - 16);
    tag = std::string(in.substr(in.size() - 16));
  }
  out.assign(body.size(), '\0');
  int n = 0;
  if (EVP_CipherInit_ex2(ctx.get(), EVP_aes_256_gcm(), U(key), U(nonce), encrypt, nullptr) != 1)
    return false;
  if (EVP_CipherUpdate(ctx.get(), nullptr, &n, U(aad), static_cast<int>(aad.size())) != 1)
    return false;
  if (!body.empty() && EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                                        U(body), static_cast<int>(body.size())) != 1)
    return false;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) != 1)
    return false;
  unsigned char scratch[16];
  if (EVP_CipherFinal_ex(ctx.get(), scratch, &n) != 1) return false;
  if (encrypt) {
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()) != 1) return false;
    out += tag;
  }
  return true;
}

std::string Aad(std::string_view name, std::uint32_t version, std::string_view context) {
  std::string aad(name);
  aad.push_back('\0');
  aad += std::to_string(version);
  aad.push_back('\0');
  aad += context;
  return aad;
}

}  // namespace

std::uint32_t FakeKeyService::VersionOf(std::string_view ciphertext) {
  return ciphertext.size() < 3 ? 0 : static_cast<std::uint8_t>(ciphertext[2]);
}

base::Status FakeKeyService::Gate() {
  ++calls;
  if (down) return base::Unavailable("fake key service is down");
  if (denied) return base::PermissionDenied("fake key service denies");
  return base::Ok();
}

base::Status FakeKeyService::CreateKey(std::string_view name) {
  COFFER_RETURN_IF_ERROR(Gate());
  if (keys_.contains(name)) return base::AlreadyExists("key exists");
  keys_[std::string(name)].push_back(random_.Bytes(32));
  return base::Ok();
}

base::Status FakeKeyService::DeleteKey(std::string_view name) {
  COFFER_RETURN_IF_ERROR(Gate());
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no such key");
  keys_.erase(it);
  return base::Ok();
}

base::Result<std::vector<env::KeyInfo>> FakeKeyService::ListKeys(std::string_view) {
  COFFER_RETURN_IF_ERROR(Gate());
  std::vector<env::KeyInfo> out;
  for (const auto& [name, versions] : keys_) {
    out.push_back({name, static_cast<std::uint32_t>(versions.size())});
  }
  return out;
}

base::Result<std::string> FakeKeyService::Seal(std::string_view name, std::uint32_t version,
                                               std::string_view plaintext,
                                               std::string_view context) {
  const std::string& master = keys_.find(name)->second[version - 1];
  const std::string nonce = random_.Bytes(12);
  std::string sealed;
  if (!Gcm(true, master, nonce, Aad(name, version, context), plaintext, sealed)) {
    return base::Internal("gcm");
  }
  std::string out = "FK";
  out.push_back(static_cast<char>(version));
  return out + nonce + sealed;
}

base::Result<env::DataKey> FakeKeyService::GenerateKey(std::string_view name,
                                                       std::string_view context) {
  COFFER_RETURN_IF_ERROR(Gate());
  contexts.emplace_back(context);
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no such key");
  env::DataKey key;
  key.plaintext = base::Secret(random_.Bytes(32));
  COFFER_ASSIGN_OR_RETURN(key.ciphertext, Seal(name, static_cast<std::uint32_t>(it->second.size()),
                                               key.plaintext.Reveal(), context));
  return key;
}

base::Result<base::Secret> FakeKeyService::Decrypt(std::string_view name,
                                                   std::string_view ciphertext,
                                                   std::string_view context) {
  COFFER_RETURN_IF_ERROR(Gate());
  contexts.emplace_back(context);
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no such key");
  const std::uint32_t version = VersionOf(ciphertext);
  if (ciphertext.size() < 3 + 12 + 16 || !ciphertext.starts_with("FK") || version == 0 ||
      version > it->second.size()) {
    return base::DataLoss("bad ciphertext");
  }
  std::string plain;
  if (!Gcm(false, it->second[version - 1], ciphertext.substr(3, 12), Aad(name, version, context),
           ciphertext.substr(15), plain)) {
    return base::DataLoss("ciphertext does not open");
  }
  return base::Secret(std::move(plain));
}

base::Result<std::string> FakeKeyService::Encrypt(std::string_view name, std::string_view plaintext,
                                                  std::string_view context) {
  COFFER_RETURN_IF_ERROR(Gate());
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no such key");
  return Seal(name, static_cast<std::uint32_t>(it->second.size()), plaintext, context);
}

base::Result<env::KeyInfo> FakeKeyService::RotateKey(std::string_view name) {
  COFFER_RETURN_IF_ERROR(Gate());
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no such key");
  it->second.push_back(random_.Bytes(32));
  return env::KeyInfo{it->first, static_cast<std::uint32_t>(it->second.size())};
}

base::Result<std::string> FakeKeyService::Rewrap(std::string_view name, std::string_view ciphertext,
                                                 std::string_view context) {
  COFFER_ASSIGN_OR_RETURN(base::Secret plain, Decrypt(name, ciphertext, context));
  auto it = keys_.find(name);
  return Seal(name, static_cast<std::uint32_t>(it->second.size()), plain.Reveal(), context);
}

base::Result<env::KeyServiceStatus> FakeKeyService::Status() {
  return env::KeyServiceStatus{"fake", "test", !down};
}

}  // namespace coffer::core::sse::testing
