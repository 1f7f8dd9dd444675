#include "coffer/core/audit/redact.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/core/audit/entry.h"
#include "coffer/state/store.h"

namespace coffer::core::audit {
namespace {

// Every secret a request can carry, in the places it can carry it.
constexpr const char* kSecrets[] = {
    "SIGNATUREabc123",  "SESSIONTOKENxyz",     "SSECKEYbase64==",     "SSECCOPYKEY==",
    "PRESIGNEDSIG0123", "LDAPPASSWORDhunter2", "WEBIDENTITYTOKENjwt", "STSTOKENvalue",
    "V2SIGNATUREabc",   "CREDENTIALAKIA/2026", "KEYMD5secret",        "COOKIEsession",
};

HttpRequest SecretRequest() {
  HttpRequest r;
  r.method = "PUT";
  r.target =
      "/bkt1/key?X-Amz-Signature=PRESIGNEDSIG0123&LDAPPassword=LDAPPASSWORDhunter2"
      "&WebIdentityToken=WEBIDENTITYTOKENjwt&Token=STSTOKENvalue&Signature=V2SIGNATUREabc"
      "&X-Amz-Credential=CREDENTIALAKIA%2F2026&partNumber=3";
  r.headers = {
      {"host", "127.0.0.1:9000"},
      {"authorization", "AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=SIGNATUREabc123"},
      {"x-amz-security-token", "SESSIONTOKENxyz"},
      {"x-amz-server-side-encryption-customer-key", "SSECKEYbase64=="},
      {"x-amz-copy-source-server-side-encryption-customer-key", "SSECCOPYKEY=="},
      {"x-amz-server-side-encryption-customer-key-md5", "KEYMD5secret"},
      {"cookie", "COOKIEsession"},
      {"set-cookie", "coffer_console=SESSIONid; HttpOnly"},
      {"x-coffer-csrf", "CSRFtoken"},
      {"user-agent", "aws-cli/2.9"},
      {"content-type", "text/plain"},
  };
  r.remote_address = "127.0.0.1:5555";
  r.request_id = "REQ123";
  return r;
}

TEST(Redact, EverySecretHeaderIsRedactedAndOthersKept) {
  HeaderList out = RedactHeaders(SecretRequest().headers);
  for (const auto& [name, value] : out) {
    if (name == "host" || name == "user-agent" || name == "content-type") {
      EXPECT_NE(value, kRedacted) << name;
    } else {
      EXPECT_EQ(value, kRedacted) << name;
    }
  }
}

TEST(Redact, SecretQueryFieldsAreRedactedInAnyCase) {
  auto q = RedactedQuery("/b?x-amz-signature=s1&SIGNATURE=s2&ldappassword=p&uploadId=u1");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].second, kRedacted);
  EXPECT_EQ(q[1].second, kRedacted);
  EXPECT_EQ(q[2].second, kRedacted);
  EXPECT_EQ(q[3], (std::pair<std::string, std::string>{"uploadId", "u1"}));
}

TEST(Redact, QueryValuesAreDecoded) {
  auto q = RedactedQuery("/b?prefix=a%2Fb+c&flag");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].second, "a/b c");
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(RequestPath("/bkt1/a%20b?x=1"), "/bkt1/a b");
}

TEST(Entry, NoSecretReachesTheEntry) {
  RequestFacts facts;
  facts.api = "PutObject";
  facts.bucket = "bkt1";
  facts.object = "key";
  facts.access_key = "AKIAUSER";
  RequestOutcome outcome;
  outcome.status = 200;
  outcome.response_headers = {{"x-amz-request-id", "REQ123"}, {"etag", "\"e\""}};
  const std::string entry =
      BuildRequestEntry("dep-1", base::WallTime{}, SecretRequest(), facts, outcome);
  for (const char* secret : kSecrets) EXPECT_EQ(entry.find(secret), std::string::npos) << secret;
  // Also not in decoded form (the credential's %2F).
  EXPECT_EQ(entry.find("CREDENTIALAKIA"), std::string::npos);
}

TEST(Entry, HasMinIOsFields) {
  RequestFacts facts;
  facts.api = "GetObject";
  facts.bucket = "bkt1";
  facts.object = "key";
  facts.access_key = "AKIAUSER";
  facts.parent_user = "alice";
  facts.error_code = "AccessDenied";
  facts.deny_policy = "readonly";
  facts.deny_statement = "DenyAll";
  facts.tags = {{"objectSize", "5"}};
  RequestOutcome outcome;
  outcome.status = 403;
  outcome.response_headers = {{"etag", "\"e\""}};
  outcome.rx_bytes = 10;
  outcome.tx_bytes = 20;
  outcome.time_to_first_byte = std::chrono::nanoseconds(1500);
  outcome.time_to_response = std::chrono::nanoseconds(2500);
  const auto doc = nlohmann::json::parse(
      BuildRequestEntry("dep-1", base::WallTime(std::chrono::milliseconds(1767225600123)),
                        SecretRequest(), facts, outcome));
  EXPECT_EQ(doc["version"], "1");
  EXPECT_EQ(doc["deploymentid"], "dep-1");
  EXPECT_EQ(doc["time"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(doc["trigger"], "incoming");
  EXPECT_EQ(doc["api"]["name"], "GetObject");
  EXPECT_EQ(doc["api"]["bucket"], "bkt1");
  EXPECT_EQ(doc["api"]["object"], "key");
  EXPECT_EQ(doc["api"]["status"], "Forbidden");
  EXPECT_EQ(doc["api"]["statusCode"], 403);
  EXPECT_EQ(doc["api"]["rx"], 10);
  EXPECT_EQ(doc["api"]["tx"], 20);
  EXPECT_EQ(doc["api"]["timeToFirstByte"], "1500ns");
  EXPECT_EQ(doc["api"]["timeToResponse"], "2500ns");
  EXPECT_EQ(doc["remotehost"], "127.0.0.1");
  EXPECT_EQ(doc["requestID"], "REQ123");
  EXPECT_EQ(doc["userAgent"], "aws-cli/2.9");
  EXPECT_EQ(doc["requestPath"], "/bkt1/key");
  EXPECT_EQ(doc["requestHost"], "127.0.0.1:9000");
  EXPECT_EQ(doc["requestQuery"]["partNumber"], "3");
  EXPECT_EQ(doc["requestHeader"]["content-type"], "text/plain");
  EXPECT_TRUE(doc["responseHeader"].contains("etag"));
  EXPECT_EQ(doc["accessKey"], "AKIAUSER");
  EXPECT_EQ(doc["parentUser"], "alice");
  EXPECT_EQ(doc["error"], "AccessDenied");
  EXPECT_EQ(doc["deny"]["policy"], "readonly");
  EXPECT_EQ(doc["deny"]["statement"], "DenyAll");
  EXPECT_EQ(doc["tags"]["objectSize"], "5");
}

TEST(Entry, InvalidUtf8InHeadersDoesNotBreakTheEntry) {
  HttpRequest r = SecretRequest();
  r.headers.push_back({"x-amz-meta-bin", std::string("\xff\xfe", 2)});
  const std::string entry = BuildRequestEntry("d", base::WallTime{}, r, RequestFacts{}, {});
  EXPECT_FALSE(nlohmann::json::parse(entry, nullptr, false).is_discarded());
}

TEST(Entry, ConfigChangeCarriesRevisionAndOldAndNew) {
  state::OutboxRecord record;
  record.seq = 42;
  record.revision = "abc123 by A <a@x>";
  record.action = "update";
  record.kind = "user";
  record.name = "alice";
  record.old_value = R"j({"secret":"(sensitive)","policies":"[\"readonly\"]"})j";
  record.new_value = R"j({"secret":"(sensitive)","policies":"[\"readwrite\"]"})j";
  const auto doc = nlohmann::json::parse(BuildConfigEntry("dep", record));
  EXPECT_EQ(doc["trigger"], "config");
  EXPECT_EQ(doc["requestID"], "config-42");
  EXPECT_EQ(doc["api"]["name"], "ConfigApply");
  EXPECT_EQ(doc["tags"]["revision"], "abc123 by A <a@x>");
  EXPECT_EQ(doc["tags"]["old"]["secret"], "(sensitive)");
  EXPECT_EQ(doc["tags"]["new"]["policies"], "[\"readwrite\"]");
}

}  // namespace
}  // namespace coffer::core::audit
