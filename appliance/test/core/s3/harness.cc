#include "harness.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "coffer/core/auth/signer.h"
#include "coffer/core/auth/sigv4.h"
#include "coffer/core/storage/md5.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/crypto.h"
#include "coffer/state/secrets.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

namespace coffer::core::s3::testing {

// --- MemBodyReader ---

base::Result<std::size_t> MemBodyReader::Read(std::span<std::byte> out) {
  const std::size_t n = std::min({out.size(), read_step_, data_.size() - offset_});
  std::memcpy(out.data(), data_.data() + offset_, n);
  offset_ += n;
  return n;
}

// --- CaptureWriter ---

base::Status CaptureWriter::Start(unsigned s, const HeaderList& h,
                                  std::optional<std::uint64_t> length) {
  if (started_) violation += "Start twice; ";
  started_ = true;
  status = s;
  headers = h;
  content_length = length;
  return base::Ok();
}

base::Status CaptureWriter::Write(std::span<const std::byte> data) {
  if (!started_) violation += "Write before Start; ";
  if (finished) violation += "Write after Finish; ";
  ++writes;
  if (head) return base::Ok();
  body.append(reinterpret_cast<const char*>(data.data()), data.size());
  return base::Ok();
}

base::Status CaptureWriter::Finish() {
  if (!started_) violation += "Finish before Start; ";
  if (finished) violation += "Finish twice; ";
  finished = true;
  return base::Ok();
}

// --- Response ---

std::string Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

bool Response::HasHeader(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return true;
  }
  return false;
}

std::string Response::XmlText(std::string_view name) const {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto b = body.find(open);
  if (b == std::string::npos) return "";
  const auto e = body.find(close, b + open.size());
  if (e == std::string::npos) return "";
  return body.substr(b + open.size(), e - b - open.size());
}

std::string Response::Code() const {
  if (body.find("<Error>") == std::string::npos) return "";
  return XmlText("Code");
}

std::vector<std::string> XmlTexts(const std::string& body, const std::string& name) {
  std::vector<std::string> out;
  const std::string open = "<" + name + ">";
  const std::string close = "</" + name + ">";
  for (auto b = body.find(open); b != std::string::npos; b = body.find(open, b + 1)) {
    const auto e = body.find(close, b);
    if (e == std::string::npos) break;
    out.push_back(body.substr(b + open.size(), e - b - open.size()));
  }
  return out;
}

bool IsIso8601Millis(const std::string& s) {
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (s.size() != shape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
    if (!ok) return false;
  }
  return true;
}

// --- S3Harness ---

S3Harness::S3Harness(S3ApiOptions options)
    : snapshot_(std::make_shared<std::shared_ptr<const state::Snapshot>>()) {
  storage::ErasureSetOptions set_options;
  for (int i = 0; i < 4; ++i) set_options.drive_locations.push_back("d" + std::to_string(i));
  // Small blocks and inline threshold so multi-block and out-of-line paths
  // run with small test bodies.
  set_options.block_size_bytes = 64 * 1024;
  set_options.inline_threshold_bytes = 4096;
  set_options.min_part_size_bytes = options.min_part_size_bytes;
  auto set = storage::ErasureSet::Open(env_, set_options);
  EXPECT_TRUE(set.has_value()) << set.error().ToString();
  objects_ = std::move(set).value();
  auto crypto = auth::Crypto::Create(env_.LibCtx());
  EXPECT_TRUE(crypto.has_value());
  crypto_ = std::move(crypto).value();
  static int counter = 0;
  store_path_ =
      (std::filesystem::temp_directory_path() / ("coffer_s3_harness_" + std::to_string(::getpid()) +
                                                 "_" + std::to_string(counter++) + ".db"))
          .string();
  std::filesystem::remove(store_path_);
  auto store = state::Store::Open(store_path_, {});
  EXPECT_TRUE(store.has_value()) << store.error().ToString();
  live_ = std::make_unique<state::LiveStore>(std::move(store).value(),
                                             state::MasterKey::Generate(env_));
  EXPECT_TRUE(live_->Rebuild(env_.Now()).has_value());
  runtime_ = std::make_unique<StoreRuntime>(*live_, env_.clock());
  if (options.session_tokens == nullptr) {
    auto codec = sts::SessionTokenCodec::Create(live_->master_key(), env_.LibCtx());
    EXPECT_TRUE(codec.has_value());
    if (codec.has_value()) options.session_tokens = std::move(codec).value();
  }
  session_tokens_ = options.session_tokens;
  auto snapshot = snapshot_;
  state::LiveStore* live = live_.get();
  auto api = S3Api::Create(
      env_, *objects_,
      [snapshot, live]() { return *snapshot != nullptr ? *snapshot : live->Current(); }, *runtime_,
      RootCredential{std::string(kRootAccessKey), base::Secret(std::string(kRootSecretKey))},
      std::move(options));
  EXPECT_TRUE(api.has_value()) << api.error().ToString();
  api_ = std::move(api).value();
}

S3Harness::~S3Harness() {
  api_.reset();
  runtime_.reset();
  live_.reset();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(store_path_ + suffix);
  }
}

Response S3Harness::Send(std::string_view method, std::string_view target, HeaderList headers,
                         std::string body, SendOptions options) {
  HttpRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  request.remote_address = options.remote_address;
  request.secure = options.secure;
  request.client_cert_cn = options.client_cert_cn;
  request.facts = options.facts;
  request.request_id = "req-" + std::to_string(++request_counter_);
  request.headers.emplace_back("host", options.host);
  // The shell hands the core lower-case header names.
  for (auto& [name, value] : headers) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    request.headers.emplace_back(std::move(name), std::move(value));
  }

  const bool has_body = !body.empty() || method == "PUT" || method == "POST";
  auth::SigningCredentials credentials{
      options.access_key.empty() ? std::string(kRootAccessKey) : options.access_key,
      base::Secret(options.secret_key.empty() ? std::string(kRootSecretKey) : options.secret_key),
      options.session_token};
  auth::SignerOptions signer_options;
  signer_options.region = options.region;
  signer_options.service = options.service;
  signer_options.set_content_sha256 = options.set_content_sha256;
  auth::Signer signer(*crypto_, std::move(credentials), std::move(signer_options));
  const base::WallTime now = env_.Now();

  std::string wire = body;
  switch (options.auth) {
    case AuthMode::kAnonymous:
      if (has_body && !options.no_content_length) {
        request.headers.emplace_back("content-length", std::to_string(wire.size()));
      }
      break;
    case AuthMode::kSigned:
    case AuthMode::kUnsigned: {
      if (has_body && !options.no_content_length) {
        request.headers.emplace_back("content-length", std::to_string(wire.size()));
      }
      std::string hash = options.auth == AuthMode::kUnsigned ? std::string(auth::kUnsignedPayload)
                                                             : crypto_->Sha256Hex(body);
      if (options.payload_hash.has_value()) hash = *options.payload_hash;
      auto info = signer.Sign(request, now, hash);
      EXPECT_TRUE(info.has_value()) << info.error().ToString();
      break;
    }
    case AuthMode::kPresigned: {
      auto presigned =
          signer.Presign(method, target, {{"host", options.host}}, now, std::chrono::seconds(3600));
      EXPECT_TRUE(presigned.has_value()) << presigned.error().ToString();
      if (presigned.has_value()) request.target = *presigned;
      if (has_body && !options.no_content_length) {
        request.headers.emplace_back("content-length", std::to_string(wire.size()));
      }
      break;
    }
    case AuthMode::kStreaming: {
      request.headers.emplace_back("content-encoding", "aws-chunked");
      request.headers.emplace_back("x-amz-decoded-content-length", std::to_string(body.size()));
      auto info = signer.Sign(request, now, auth::kStreamingSignedPayload);
      EXPECT_TRUE(info.has_value()) << info.error().ToString();
      if (!info.has_value()) break;
      auth::ChunkSigner chunks(*crypto_, info->streaming);
      wire.clear();
      for (std::size_t i = 0; i < body.size(); i += options.chunk_bytes) {
        wire += chunks.Chunk(std::string_view(body).substr(i, options.chunk_bytes));
      }
      wire += chunks.Final();
      // The framed length depends on the chunk signatures, so it is added
      // after signing (SigV4 does not require content-length to be signed).
      if (!options.no_content_length) {
        request.headers.emplace_back("content-length", std::to_string(wire.size()));
      }
      break;
    }
  }

  std::optional<std::uint64_t> content_length;
  if (has_body && !options.no_content_length) content_length = wire.size();
  if (options.truncate_wire_to.has_value() && *options.truncate_wire_to < wire.size()) {
    wire.resize(*options.truncate_wire_to);
  }
  MemBodyReader reader(std::move(wire), content_length);
  CaptureWriter writer;
  writer.head = method == "HEAD";
  Handler& handler = options.handler != nullptr ? *options.handler : *api_;
  handler.Serve(request, reader, writer);

  Response r;
  r.status = writer.status;
  r.headers = std::move(writer.headers);
  r.body = std::move(writer.body);
  r.finished = writer.finished;
  r.content_length = writer.content_length;
  r.violation = std::move(writer.violation);
  r.writes = writer.writes;
  if (!writer.started()) r.violation += "never started; ";
  // HEAD answers announce the object's length and send no body.
  if (method != "HEAD" && r.content_length.has_value() && *r.content_length != r.body.size() &&
      r.finished) {
    r.violation += "body length " + std::to_string(r.body.size()) + " != announced " +
                   std::to_string(*r.content_length) + "; ";
  }
  return r;
}

Response S3Harness::Put(std::string_view target, std::string body, HeaderList headers) {
  return Send("PUT", target, std::move(headers), std::move(body));
}

Response S3Harness::Get(std::string_view target, HeaderList headers) {
  return Send("GET", target, std::move(headers));
}

void S3Harness::MakeBucket(std::string_view bucket, bool versioned) {
  // Straight through the object layer: these tests are about objects, not
  // about CreateBucket.
  auto made = objects_->MakeBucket(bucket);
  ASSERT_TRUE(made.has_value()) << made.error().ToString();
  if (versioned) {
    auto set = objects_->SetBucketVersioning(bucket, storage::VersioningState::kEnabled);
    ASSERT_TRUE(set.has_value()) << set.error().ToString();
  }
}

void S3Harness::SetSnapshot(std::shared_ptr<const state::Snapshot> snapshot) {
  *snapshot_ = std::move(snapshot);
}

base::Status S3Harness::InstallConfig(std::string_view toml,
                                      const std::map<std::string, std::string>& secrets) {
  state::ConfigLoad load =
      state::LoadConfig(state::ConfigTree{{{"coffer.toml", std::string(toml)}}});
  if (!load.ok()) return base::InvalidArgument(state::FormatErrors(load.errors));
  state::SecretSources sources;
  sources.env = [secrets](const std::string& name) -> std::optional<std::string> {
    auto it = secrets.find(name);
    if (it == secrets.end()) return std::nullopt;
    return it->second;
  };
  state::StandardSecretResolver resolver(std::move(sources));
  // Applies into the harness's live store, as the daemon's reconcile does.
  return live_->Change(
      [&](state::Store& store, const state::MasterKey& key) -> base::Status {
        COFFER_ASSIGN_OR_RETURN(state::DesiredRecords desired,
                                state::BuildDesiredRecords(load.state, resolver, key));
        state::ApplyOptions apply;
        apply.revision.id = "harness";
        apply.now = env_.Now();
        apply.allow_lockout = true;
        apply.allow_prune = true;
        COFFER_RETURN_IF_ERROR(state::Apply(store, desired, key, env_, apply));
        return base::Ok();
      },
      env_.Now());
}

std::string S3Harness::ContentMd5(std::string_view data) const {
  storage::Md5 md5(const_cast<storage::testing::MemEnv&>(env_).LibCtx());
  md5.Update(std::as_bytes(std::span(data.data(), data.size())));
  return auth::Base64Encode(md5.FinishRaw());
}

}  // namespace coffer::core::s3::testing
