#pragma once
// A test harness for the S3 request core: an in-memory Env (the storage
// tests' MemEnv: no real disk, a clock that moves only when told), an erasure
// set over four in-memory drives (2 data + 2 parity), an S3Api in front of it
// with a root credential and a snapshot source the test controls, and Send(),
// which signs a request the way a real client would (SigV4 header auth,
// UNSIGNED-PAYLOAD, presigned URLs, aws-chunked streaming, or anonymous) and
// returns what the API answered.
//
//   S3Harness h;
//   h.MakeBucket("bkt");
//   auto r = h.Send("PUT", "/bkt/key", {{"content-type", "text/plain"}}, "hello");
//   EXPECT_EQ(r.Header("etag"), "\"5d41402abc4b2a76b9719d911017c592\"");

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/secret.h"
#include "coffer/core/auth/crypto.h"
#include "coffer/core/http.h"
#include "coffer/core/s3/api.h"
#include "coffer/core/s3/store_runtime.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/core/sts/session_token.h"

#include "../storage/mem_env.h"

namespace coffer::state {
class Snapshot;
}

namespace coffer::core::s3::testing {

inline constexpr std::string_view kRootAccessKey = "ROOTACCESSKEY";
inline constexpr std::string_view kRootSecretKey = "root-secret-key-for-tests-0123456789";

// A request body held in memory. Reads hand out at most `read_step` bytes at
// a time (so the core sees a body in pieces, as from a socket).
class MemBodyReader final : public BodyReader {
 public:
  MemBodyReader(std::string data, std::optional<std::uint64_t> content_length,
                std::size_t read_step = 7000)
      : data_(std::move(data)), content_length_(content_length), read_step_(read_step) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override;
  std::optional<std::uint64_t> content_length() const override { return content_length_; }
  // How many bytes the core pulled (0: it never read the body).
  std::size_t consumed() const { return offset_; }

 private:
  std::string data_;
  std::optional<std::uint64_t> content_length_;
  std::size_t read_step_;
  std::size_t offset_ = 0;
};

// Captures a response. Checks the ResponseWriter contract: Start once before
// any Write, Finish once, and a body exactly as long as announced. For a HEAD
// request it drops written bytes, as the shell does.
class CaptureWriter final : public ResponseWriter {
 public:
  base::Status Start(unsigned status, const HeaderList& headers,
                     std::optional<std::uint64_t> content_length) override;
  base::Status Write(std::span<const std::byte> data) override;
  base::Status Finish() override;
  bool started() const override { return started_; }

  unsigned status = 0;
  HeaderList headers;
  std::optional<std::uint64_t> content_length;
  std::string body;
  bool finished = false;
  int writes = 0;
  bool head = false;  // Set before Serve for a HEAD request.
  // Contract violations seen (empty when the core behaved).
  std::string violation;

 private:
  bool started_ = false;
};

struct Response {
  unsigned status = 0;
  HeaderList headers;
  std::string body;
  bool finished = false;  // Finish() was called (else the shell would close).
  std::optional<std::uint64_t> content_length;
  std::string violation;  // A ResponseWriter contract violation, or empty.
  int writes = 0;         // Write() calls: a streamed body takes several.

  // The first value of header `name` (lower-case), "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // The <Code> of an S3 error body, "" when the body is not an error.
  std::string Code() const;
  // The text of the first <name> element in the body, "" when absent.
  std::string XmlText(std::string_view name) const;
};

enum class AuthMode {
  kSigned,     // Header auth; x-amz-content-sha256 = SHA-256 of the body.
  kUnsigned,   // Header auth with UNSIGNED-PAYLOAD.
  kPresigned,  // Query-string auth (X-Amz-Signature in the target).
  kStreaming,  // aws-chunked, STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
  kAnonymous,  // No credentials at all.
};

struct SendOptions {
  AuthMode auth = AuthMode::kSigned;
  // Credentials to sign with; the root credential when empty.
  std::string access_key;
  std::string secret_key;
  // When set, the x-amz-content-sha256 the request claims (signed as such),
  // whatever the body is: forges a signed-payload mismatch.
  std::optional<std::string> payload_hash;
  // Send no Content-Length (the shell saw chunked transfer coding).
  bool no_content_length = false;
  // When set, only this many bytes of the wire body reach the core, while
  // Content-Length still announces the whole body (a client that hung up).
  std::optional<std::size_t> truncate_wire_to;
  // Payload bytes per aws-chunked chunk.
  std::size_t chunk_bytes = 64 * 1024;
  std::string host = "127.0.0.1:9000";
  // The region the request is signed for (the API's S3ApiOptions::region).
  std::string region = "us-east-1";
  // The socket peer and whether the connection is TLS, as the shell reports them.
  std::string remote_address = "127.0.0.1:50000";
  bool secure = false;
  // The handler that serves the request (another API signed the same way,
  // e.g. the admin API); the harness's S3 API when null.
  Handler* handler = nullptr;
  // STS session credentials: the token is sent (and signed) as
  // X-Amz-Security-Token. The service signed for ("sts" for the STS API),
  // whether x-amz-content-sha256 is sent (AWS SDKs omit it outside S3), the
  // mTLS client certificate's CN and the audit facts to fill.
  std::string session_token;
  std::string service = "s3";
  bool set_content_sha256 = true;
  std::string client_cert_cn;
  RequestFacts* facts = nullptr;
};

// Every text of <name> elements (without attributes) in document order.
std::vector<std::string> XmlTexts(const std::string& body, const std::string& name);
// True for S3's listing timestamp form "2006-01-02T15:04:05.000Z".
bool IsIso8601Millis(const std::string& s);

class S3Harness {
 public:
  explicit S3Harness(S3ApiOptions options = {});
  ~S3Harness();

  // Signs and serves one request. `target` is the raw (already encoded)
  // request target; header names are lower-cased, as the shell does.
  Response Send(std::string_view method, std::string_view target, HeaderList headers = {},
                std::string body = "", SendOptions options = {});
  // Shorthands with root credentials.
  Response Put(std::string_view target, std::string body, HeaderList headers = {});
  Response Get(std::string_view target, HeaderList headers = {});
  // Creates a bucket in the object layer (asserts success), with versioning
  // enabled when `versioned`.
  void MakeBucket(std::string_view bucket, bool versioned = false);

  // Overrides the snapshot later requests see (null: back to the harness's
  // IAM store, which starts empty: only the root user is known).
  void SetSnapshot(std::shared_ptr<const state::Snapshot> snapshot);
  // The harness's IAM store (a temp SQLite file): InstallConfig applies into
  // it and the S3 API's runtime changes (bucket policies) land in it.
  state::LiveStore& live() { return *live_; }
  // The store's SQLite file (e.g. for a second connection, as another process).
  const std::string& store_path() const { return store_path_; }
  // Builds a snapshot from TOML desired-state config (as in a config repo's
  // one file) with `secrets` resolving "env:NAME" references, and installs it.
  base::Status InstallConfig(std::string_view toml,
                             const std::map<std::string, std::string>& secrets);

  storage::testing::MemEnv& env() { return env_; }
  storage::ErasureSet& objects() { return *objects_; }
  S3Api& api() { return *api_; }
  const auth::Crypto& crypto() const { return *crypto_; }
  // The session-token codec the S3 API opens STS tokens with (from the
  // harness store's master key unless the options brought one).
  const std::shared_ptr<const sts::SessionTokenCodec>& session_tokens() const {
    return session_tokens_;
  }

  // Base64 of the MD5 of `data` (a Content-MD5 value).
  std::string ContentMd5(std::string_view data) const;

 private:
  storage::testing::MemEnv env_;
  std::unique_ptr<storage::ErasureSet> objects_;
  std::unique_ptr<auth::Crypto> crypto_;
  std::shared_ptr<std::shared_ptr<const state::Snapshot>> snapshot_;
  std::string store_path_;
  std::unique_ptr<state::LiveStore> live_;
  std::unique_ptr<StoreRuntime> runtime_;
  std::unique_ptr<S3Api> api_;
  std::shared_ptr<const sts::SessionTokenCodec> session_tokens_;
  std::uint64_t generation_ = 0;
  int request_counter_ = 0;
};

}  // namespace coffer::core::s3::testing
