// Key-service operations as an audit source: one entry per operation with
// who, which API and key, the outcome; never key material; strict targets
// that cannot record withhold the result.

#include "coffer/core/audit/audited_key_service.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes.h"

namespace coffer::core::audit {
namespace {

using testing::FakePeers;
using testing::VirtualEnv;

constexpr std::string_view kPlaintextKey = "PLAINTEXTDATAKEYzz0123456789abcd";
constexpr std::string_view kSealed = "SEALEDCIPHERTEXTzz";

class FakeKeys final : public env::KeyService {
 public:
  base::Status CreateKey(std::string_view name) override {
    if (name == "exists") return base::AlreadyExists("key exists");
    return base::Ok();
  }
  base::Status DeleteKey(std::string_view) override { return base::Ok(); }
  base::Result<std::vector<env::KeyInfo>> ListKeys(std::string_view) override {
    return std::vector<env::KeyInfo>{{"app-key", 1}};
  }
  base::Result<env::DataKey> GenerateKey(std::string_view name, std::string_view) override {
    if (name == "missing") return base::NotFound("no such key");
    return env::DataKey{base::Secret(std::string(kPlaintextKey)), std::string(kSealed)};
  }
  base::Result<base::Secret> Decrypt(std::string_view, std::string_view,
                                     std::string_view) override {
    return base::Secret(std::string(kPlaintextKey));
  }
  base::Result<std::string> Encrypt(std::string_view, std::string_view, std::string_view) override {
    return std::string(kSealed);
  }
  base::Result<env::KeyInfo> RotateKey(std::string_view name) override {
    return env::KeyInfo{std::string(name), 2};
  }
  base::Result<std::string> Rewrap(std::string_view, std::string_view, std::string_view) override {
    return std::string(kSealed);
  }
  base::Result<env::KeyServiceStatus> Status() override {
    return env::KeyServiceStatus{"in-process", "test", true};
  }
};

TargetConfig Hook(std::size_t queue_size = 1000) {
  TargetConfig t;
  t.name = "hook";
  t.webhook.name = "hook";
  t.queue_dir = "/spool/hook";
  t.queue_size = queue_size;
  return t;
}

std::vector<nlohmann::json> Delivered(FakePeers& peers) {
  std::vector<nlohmann::json> out;
  for (const auto& body : peers.Sink("hook")->bodies) {
    std::size_t start = 0;
    while (start < body.size()) {
      const auto nl = body.find('\n', start);
      out.push_back(nlohmann::json::parse(body.substr(start, nl - start)));
      start = nl + 1;
    }
  }
  return out;
}

TEST(AuditedKeyService, EveryOperationLeavesAnEntryWithoutKeyMaterial) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Hook()}).empty());
  AuditedKeyService keys(std::make_unique<FakeKeys>(), env, "coffer-serve", "in-process");
  ASSERT_TRUE(keys.CreateKey("early").has_value());  // Before Attach: held, then recorded.
  keys.Attach(log);
  const std::string context = R"({"bucket":"bkt1","object":"o"})";
  ASSERT_TRUE(keys.GenerateKey("app-key", context).has_value());
  ASSERT_TRUE(keys.Decrypt("app-key", kSealed, context).has_value());
  ASSERT_TRUE(keys.Encrypt("app-key", kPlaintextKey, context).has_value());
  ASSERT_TRUE(keys.RotateKey("app-key").has_value());
  ASSERT_TRUE(keys.Rewrap("app-key", kSealed, context).has_value());
  ASSERT_TRUE(keys.DeleteKey("old-key").has_value());
  ASSERT_TRUE(keys.ListKeys("*").has_value());
  EXPECT_EQ(keys.GenerateKey("missing", context).error().code(), base::ErrorCode::kNotFound);
  EXPECT_EQ(keys.CreateKey("exists").error().code(), base::ErrorCode::kAlreadyExists);
  ASSERT_TRUE(keys.Status().has_value());  // A probe: not audited.
  env.RunFor(std::chrono::seconds(2));

  const auto entries = Delivered(peers);
  std::vector<std::string> apis;
  for (const auto& e : entries) apis.push_back(e["api"]["name"]);
  EXPECT_EQ(apis,
            (std::vector<std::string>{"KMS.CreateKey", "KMS.GenerateKey", "KMS.Decrypt",
                                      "KMS.Encrypt", "KMS.RotateKey", "KMS.Rewrap", "KMS.DeleteKey",
                                      "KMS.ListKeys", "KMS.GenerateKey", "KMS.CreateKey"}));
  for (const auto& e : entries) {
    EXPECT_EQ(e["trigger"], "key-service");
    EXPECT_EQ(e["accessKey"], "coffer-serve");
    EXPECT_EQ(e["tags"]["keyService"], "in-process");
    EXPECT_EQ(e["requestID"].get<std::string>().rfind("kms-", 0), 0u);
    EXPECT_EQ(e["deploymentid"], "dep");
  }
  EXPECT_EQ(entries[0]["tags"]["key"], "early");
  EXPECT_EQ(entries[1]["tags"]["key"], "app-key");
  EXPECT_EQ(entries[1]["tags"]["context"], context);
  EXPECT_EQ(entries[1]["api"]["statusCode"], 200);
  EXPECT_EQ(entries[1]["event"], "kms.generatekey");
  EXPECT_EQ(entries[8]["api"]["statusCode"], 404);
  EXPECT_EQ(entries[8]["error"], "NOT_FOUND");
  EXPECT_EQ(entries[9]["api"]["statusCode"], 409);
  // SECURITY: neither the data key nor its sealed form reaches a target.
  for (const auto& body : peers.Sink("hook")->bodies) {
    EXPECT_EQ(body.find(kPlaintextKey), std::string::npos);
    EXPECT_EQ(body.find(kSealed), std::string::npos);
  }
}

TEST(AuditedKeyService, AStrictTargetThatCannotRecordWithholdsTheKey) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Hook(/*queue_size=*/1)}).empty());
  peers.Sink("hook")->down = true;
  AuditedKeyService keys(std::make_unique<FakeKeys>(), env, "coffer-serve", "in-process");
  keys.Attach(log);
  ASSERT_TRUE(keys.GenerateKey("app-key", "").has_value());  // Fills the spool.
  auto refused = keys.GenerateKey("app-key", "");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), base::ErrorCode::kUnavailable);
  EXPECT_FALSE(keys.Decrypt("app-key", kSealed, "").has_value());
}

}  // namespace
}  // namespace coffer::core::audit
