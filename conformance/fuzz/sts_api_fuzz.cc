// libFuzzer target for the STS API's request handling (appliance/src/core/sts/
// sts_api.cc): the form body and query parser (percent-decoding, '+', repeated
// names, body before query), Action/Version dispatch, DurationSeconds,
// RoleSessionName and session-Policy checks, and the XML answer, against a real
// IAM snapshot (a SQLite store in a temp file), a scripted OIDC verifier
// ("good-<sub>" tokens are valid) and a scripted LDAP directory (password
// "pw-<user>"). Input: byte 0 flags (bit 0: TLS, bit 1: a verified client
// certificate with CN "cert-reader", bit 2: no form content-type), then the
// request target up to the first '\n', then the body.
// Properties: no crash, no sanitizer report; the answer is finished with the
// length it announced; never a 500 (every refusal is an STS error); a 200
// carries AccessKeyId, SecretAccessKey, Expiration and a SessionToken that
// opens under the appliance's key to the same access key; plain HTTP never
// gets credentials; the LDAP password never appears in an answer.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "coffer/core/sts/session_token.h"
#include "coffer/core/sts/sts_api.h"
#include "coffer/state/apply.h"
#include "coffer/state/config.h"
#include "coffer/state/live_store.h"
#include "coffer/state/secrets.h"
#include "coffer/state/snapshot.h"

#include "../../appliance/test/core/storage/mem_env.h"

namespace {

namespace core = coffer::core;
namespace sts = coffer::core::sts;
namespace state = coffer::state;
namespace base = coffer::base;

void Require(bool condition) {
  if (!condition) std::abort();
}

// Fixture setup: says what failed (a broken fixture is not a finding).
void Setup(bool condition, const std::string& what) {
  if (condition) return;
  std::fprintf(stderr, "sts_api_fuzz fixture: %s\n", what.c_str());
  std::abort();
}

constexpr const char* kConfig = R"(
[users.alice]
secret = "env:ALICE"
policies = ["photos-rw"]
[policies.photos-rw]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],
  "Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}'''
[policies.cert-reader]
json = '''{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],
  "Resource":["arn:aws:s3:::photos/*"]}]}'''
[buckets.photos]
)";

class FakeWeb final : public sts::WebIdentityVerifier {
 public:
  base::Result<sts::ExternalIdentity> Verify(std::string_view token, std::string_view role_arn,
                                             const state::Snapshot&, base::WallTime now) override {
    if (!token.starts_with("good-")) return base::Unauthenticated("signature does not verify");
    if (!role_arn.empty() && role_arn != "arn:minio:iam:::role/web") {
      return base::NotFound("unknown RoleArn");
    }
    sts::ExternalIdentity id;
    id.subject = std::string(token.substr(5));
    id.parent = "oidc:fuzz:" + id.subject;
    id.policies = {"photos-rw"};
    id.variables = {{"jwt:sub", id.subject}};
    id.not_after = now + std::chrono::minutes(30);
    return id;
  }
};

class FakeLdap final : public sts::LdapAuthenticator {
 public:
  base::Result<sts::ExternalIdentity> Authenticate(std::string_view username,
                                                   const base::Secret& password,
                                                   const state::Snapshot&) override {
    if (password.Reveal().empty()) return base::Unauthenticated("empty password");
    if (password.Reveal() != "pw-" + std::string(username)) {
      return base::Unauthenticated("invalid credentials");
    }
    sts::ExternalIdentity id;
    id.subject = std::string(username);
    id.parent = "uid=" + id.subject + ",ou=people,dc=example,dc=org";
    id.policies = {"photos-rw"};
    id.variables = {{"ldap:username", id.subject}, {"ldap:user", id.parent}};
    return id;
  }
};

class NoRecorder final : public sts::SessionRecorder {
 public:
  base::Status Record(const state::RuntimeCredential&, std::string_view) override {
    return base::Ok();
  }
};

class Body final : public core::BodyReader {
 public:
  explicit Body(std::string_view data) : data_(data) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = std::min(out.size(), data_.size());
    std::memcpy(out.data(), data_.data(), n);
    data_.remove_prefix(n);
    return n;
  }
  std::optional<std::uint64_t> content_length() const override { return size_; }

 private:
  std::string_view data_;
  std::uint64_t size_ = data_.size();
};

class Capture final : public core::ResponseWriter {
 public:
  base::Status Start(unsigned s, const core::HeaderList&,
                     std::optional<std::uint64_t> length) override {
    Require(!started_);
    started_ = true;
    status = s;
    announced = length;
    return base::Ok();
  }
  base::Status Write(std::span<const std::byte> data) override {
    Require(started_ && !finished);
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return base::Ok();
  }
  base::Status Finish() override {
    Require(started_ && !finished);
    finished = true;
    return base::Ok();
  }
  bool started() const override { return started_; }

  unsigned status = 0;
  std::optional<std::uint64_t> announced;
  std::string body;
  bool finished = false;

 private:
  bool started_ = false;
};

std::string XmlText(const std::string& body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::size_t start = body.find(open);
  if (start == std::string::npos) return "";
  const std::size_t end = body.find("</" + std::string(name) + ">", start);
  if (end == std::string::npos) return "";
  return body.substr(start + open.size(), end - start - open.size());
}

struct Fixture {
  core::storage::testing::MemEnv env;
  std::unique_ptr<state::LiveStore> live;
  std::shared_ptr<const sts::SessionTokenCodec> codec;
  FakeWeb web;
  FakeLdap ldap;
  NoRecorder recorder;
  std::unique_ptr<sts::StsApi> api;

  Fixture() {
    const std::string path = "/tmp/coffer_sts_api_fuzz_" + std::to_string(::getpid()) + ".db";
    ::unlink(path.c_str());
    auto store = state::Store::Open(path, {});
    Setup(store.has_value(), "store");
    live = std::make_unique<state::LiveStore>(std::move(store).value(),
                                              state::MasterKey::Generate(env));
    state::ConfigLoad load = state::LoadConfig(state::ConfigTree{{{"coffer.toml", kConfig}}});
    Setup(load.ok(), "config: " + (load.ok() ? "" : load.errors.front().ToString()));
    state::SecretSources sources;
    sources.env = [](const std::string&) -> std::optional<std::string> {
      return std::string("alice-secret-key");
    };
    state::StandardSecretResolver resolver(std::move(sources));
    auto applied = live->Change(
        [&](state::Store& s, const state::MasterKey& key) -> base::Status {
          COFFER_ASSIGN_OR_RETURN(state::DesiredRecords desired,
                                  state::BuildDesiredRecords(load.state, resolver, key));
          state::ApplyOptions apply;
          apply.revision.id = "fuzz";
          apply.now = env.Now();
          apply.allow_lockout = true;
          apply.allow_prune = true;
          COFFER_RETURN_IF_ERROR(state::Apply(s, desired, key, env, apply));
          return base::Ok();
        },
        env.Now());
    Setup(applied.has_value(), applied.has_value() ? "" : applied.error().ToString());
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
    auto made = sts::SessionTokenCodec::Create(live->master_key(), env.LibCtx());
    Setup(made.has_value(), "codec");
    codec = std::move(made).value();
    sts::StsApiOptions options;
    options.allow_plain_http = false;
    state::LiveStore* l = live.get();
    auto created = sts::StsApi::Create(
        env, [l] { return l->Current(); }, recorder,
        core::s3::RootCredential{"ROOTACCESSKEY", base::Secret(std::string("root-secret-0123"))},
        codec, std::move(options), &web, &ldap);
    Setup(created.has_value(), "api");
    api = std::move(created).value();
  }
};

Fixture& GetFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Fixture& f = GetFixture();
  const std::uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t nl = rest.find('\n');
  core::HttpRequest request;
  request.method = "POST";
  request.target =
      "/" + std::string(nl == std::string_view::npos ? std::string_view{} : rest.substr(0, nl));
  const std::string_view body_text = nl == std::string_view::npos ? rest : rest.substr(nl + 1);
  if ((flags & 4) == 0) {
    request.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
  }
  request.headers.emplace_back("host", "127.0.0.1:9000");
  request.secure = (flags & 1) != 0;
  if (request.secure && (flags & 2) != 0) request.client_cert_cn = "cert-reader";
  request.remote_address = "127.0.0.1:40000";
  request.request_id = "FUZZ";
  Body body(body_text);
  Capture out;
  f.api->Serve(request, body, out);

  Require(out.finished);
  Require(out.announced.has_value() && *out.announced == out.body.size());
  Require(out.status < 500 || out.status == 503);
  Require(out.status != 503 || out.body.find("<Code>") != std::string::npos);
  if (out.status != 200) {
    Require(out.body.find("<SessionToken>") == std::string::npos);
    return 0;
  }
  Require(request.secure);
  const std::string access_key = XmlText(out.body, "AccessKeyId");
  Require(!access_key.empty());
  Require(!XmlText(out.body, "SecretAccessKey").empty());
  Require(!XmlText(out.body, "Expiration").empty());
  auto opened = f.codec->Open(XmlText(out.body, "SessionToken"));
  Require(opened.has_value());
  Require(opened->access_key == access_key);
  Require(opened->expires_at > f.env.Now());
  // The password a successful LDAP login used never comes back.
  if (opened->variables.count("ldap:username") != 0) {
    Require(out.body.find("pw-" + opened->variables["ldap:username"] + "<") == std::string::npos);
  }
  return 0;
}
