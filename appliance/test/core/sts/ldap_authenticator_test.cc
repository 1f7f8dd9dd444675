// DirectoryLdapAuthenticator against a scripted directory that evaluates the
// filters it receives (equality, presence, substrings, &, |, !), so injection
// attempts are tested for what they find, not only for how they are spelled.
// The snapshot comes from a real config repo through the state pipeline.

#include "coffer/core/sts/ldap_authenticator.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/core/sts/ldap_escape.h"
#include "coffer/state/apply.h"
#include "coffer/state/snapshot.h"
#include "coffer/state/store.h"

#include "test_util.h"

namespace coffer::core::sts {
namespace {

using state::testing::TempDir;
using state::testing::TestRandom;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

struct FakeEntry {
  std::string dn;
  std::string password;                                   // Empty: binds as it always fail.
  std::map<std::string, std::vector<std::string>> attrs;  // Lower-case names.
};

// Evaluates a filter against an entry. Test-grade: it trusts FilterItemCount
// for syntax, and compares values case-insensitively.
class Matcher {
 public:
  Matcher(std::string_view f, const FakeEntry& e) : f_(f), e_(e) {}
  bool Run() { return Filter(); }

 private:
  bool Filter() {
    ++pos_;  // '('
    bool r = false;
    char op = f_[pos_];
    if (op == '&' || op == '|') {
      ++pos_;
      r = op == '&';
      while (f_[pos_] == '(') {
        bool v = Filter();
        r = op == '&' ? (r && v) : (r || v);
      }
    } else if (op == '!') {
      ++pos_;
      r = !Filter();
    } else {
      r = Item();
    }
    ++pos_;  // ')'
    return r;
  }

  bool Item() {
    std::size_t eq = f_.find('=', pos_);
    std::string attr = Lower(std::string(f_.substr(pos_, eq - pos_)));
    std::size_t end = f_.find(')', eq);
    std::string_view value = f_.substr(eq + 1, end - eq - 1);
    pos_ = end;
    auto it = e_.attrs.find(attr);
    if (attr == "dn") return false;
    if (it == e_.attrs.end()) return false;
    if (value == "*") return true;
    // Split on unescaped '*' into literal pieces, then match as a glob.
    std::vector<std::string> pieces(1);
    for (char c : value) {
      if (c == '*') {
        pieces.emplace_back();
      } else {
        pieces.back() += c;
      }
    }
    for (std::string& p : pieces) p = Lower(UnescapeFilterValue(p).value_or("\x01"));
    for (const std::string& v : it->second) {
      if (Glob(Lower(v), pieces)) return true;
    }
    return false;
  }

  static bool Glob(const std::string& v, const std::vector<std::string>& pieces) {
    if (pieces.size() == 1) return v == pieces[0];
    if (v.rfind(pieces.front(), 0) != 0) return false;
    std::size_t at = pieces.front().size();
    for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
      std::size_t found = v.find(pieces[i], at);
      if (found == std::string::npos) return false;
      at = found + pieces[i].size();
    }
    const std::string& last = pieces.back();
    return v.size() >= at + last.size() &&
           v.compare(v.size() - last.size(), last.size(), last) == 0;
  }

  std::string_view f_;
  const FakeEntry& e_;
  std::size_t pos_ = 0;
};

struct Calls {
  int connects = 0;
  std::vector<std::string> binds;  // DNs, in order.
  std::vector<env::SearchRequest> searches;
  env::DirectoryEndpoint endpoint;
};

class FakeConnection final : public env::DirectoryConnection {
 public:
  FakeConnection(const std::vector<FakeEntry>& entries, Calls& calls)
      : entries_(entries), calls_(calls) {}

  base::Status Bind(std::string_view dn, const base::Secret& password) override {
    calls_.binds.emplace_back(dn);
    if (password.empty()) return base::InvalidArgument("empty password");
    for (const FakeEntry& e : entries_) {
      if (SameDn(e.dn, dn) && !e.password.empty() && password.EqualsConstantTime(e.password)) {
        return base::Ok();
      }
    }
    return base::Unauthenticated("invalid credentials");
  }

  base::Result<std::vector<env::DirectoryEntry>> Search(const env::SearchRequest& req) override {
    calls_.searches.push_back(req);
    if (!FilterItemCount(req.filter)) return base::InvalidArgument("bad filter");
    std::vector<env::DirectoryEntry> out;
    std::string base = *NormalizeDn(req.base);
    for (const FakeEntry& e : entries_) {
      std::string dn = *NormalizeDn(e.dn);
      bool under = dn.size() > base.size() &&
                   dn.compare(dn.size() - base.size(), base.size(), base) == 0 &&
                   dn[dn.size() - base.size() - 1] == ',';
      if (!under || !Matcher(req.filter, e).Run()) continue;
      out.push_back({e.dn, {}});
      if (req.size_limit != 0 && out.size() == req.size_limit) break;
    }
    return out;
  }

 private:
  const std::vector<FakeEntry>& entries_;
  Calls& calls_;
};

class FakeDirectory final : public env::Directory {
 public:
  base::Result<std::unique_ptr<env::DirectoryConnection>> Connect(
      const env::DirectoryEndpoint& endpoint) override {
    ++calls.connects;
    calls.endpoint = endpoint;
    if (down) return base::Unavailable("connect: connection refused");
    return std::unique_ptr<env::DirectoryConnection>(new FakeConnection(entries, calls));
  }

  std::vector<FakeEntry> entries;
  Calls calls;
  bool down = false;
};

constexpr std::string_view kLookupDn = "cn=lookup,dc=example,dc=org";

FakeEntry Person(const std::string& uid, const std::string& password, const std::string& ou) {
  return {"uid=" + uid + ",ou=" + ou + ",dc=example,dc=org",
          password,
          {{"objectclass", {"inetOrgPerson"}}, {"uid", {uid}}, {"cn", {uid}}}};
}

FakeEntry Group(const std::string& cn, const std::vector<std::string>& members) {
  return {"cn=" + cn + ",ou=groups,dc=example,dc=org",
          "",
          {{"objectclass", {"groupOfNames"}}, {"cn", {cn}}, {"member", members}}};
}

constexpr std::string_view kBaseConfig = R"toml(
[policies.alice-home]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${ldap:username}/*"}]}'

[identity.ldap.corp]
server = "ldap.example.org:636"
tls = "tls"
ca_file = "/etc/coffer/ldap-ca.pem"
lookup_bind_dn = "cn=lookup,dc=example,dc=org"
lookup_bind_password = "env:LDAP_LOOKUP_PW"
user_dn_search_base = "ou=people,dc=example,dc=org"
user_dn_search_filter = "(&(objectClass=inetOrgPerson)(uid=%s))"
group_search_base = "ou=groups,dc=example,dc=org"
group_search_filter = "(&(objectClass=groupOfNames)(member=%d))"

[identity.ldap.corp.user_policies]
"UID=Alice, OU=People, DC=Example, DC=Org" = ["alice-home"]

[identity.ldap.corp.group_policies]
"cn=devs,ou=groups,dc=example,dc=org" = ["readwrite"]
"CN=Auditors , OU=groups,DC=example,DC=org" = ["readonly", "diagnostics"]
)toml";

class LdapAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.entries = {
        {std::string(kLookupDn), "lookup-pw", {{"cn", {"lookup"}}}},
        Person("alice", "alice-pw", "people"),
        Person("bob", "bob-pw", "people"),
        Person("carol", "carol-pw", "people"),
        Person("dup", "dup-pw", "people"),
        {"uid=dup,ou=more,ou=people,dc=example,dc=org",
         "dup-pw2",
         {{"objectclass", {"inetOrgPerson"}}, {"uid", {"dup"}}}},
        Person("eve", "eve-pw", "outside"),  // Outside the search base.
        Group("devs", {"uid=bob,ou=people,dc=example,dc=org"}),
        Group("auditors",
              {"UID=Bob,OU=People,DC=Example,DC=Org", "uid=carol,ou=people,dc=example,dc=org"}),
        Group("staff", {"uid=alice,ou=people,dc=example,dc=org"}),  // Mapped to nothing.
    };
    Install(kBaseConfig);
  }

  void Install(std::string_view toml) {
    TempDir tmp;
    auto store = state::Store::Open(tmp.Path("iam.db"), {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    key_ = std::make_unique<state::MasterKey>(state::MasterKey::Generate(random_));
    state::ConfigLoad load =
        state::LoadConfig(state::testing::Tree({{"c.toml", std::string(toml)}}));
    ASSERT_TRUE(load.ok()) << state::FormatErrors(load.errors);
    auto resolver = state::testing::MapResolver({{"LDAP_LOOKUP_PW", "lookup-pw"}});
    auto desired = state::BuildDesiredRecords(load.state, resolver, *key_);
    ASSERT_TRUE(desired.has_value()) << desired.error().ToString();
    state::ApplyOptions options;
    options.allow_lockout = true;
    options.allow_prune = true;
    auto applied = state::Apply(**store, *desired, *key_, random_, options);
    ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
    auto snap = state::BuildSnapshot(**store, *key_, ++generation_, base::WallTime{});
    ASSERT_TRUE(snap.has_value()) << snap.error().ToString();
    snapshot_ = *snap;
  }

  base::Result<ExternalIdentity> Auth(std::string_view user, std::string password) {
    dir_.calls = Calls{};
    return auth_.Authenticate(user, base::Secret(std::move(password)), *snapshot_);
  }

  // How many searches of the user base returned something is not visible to
  // the caller; the binds are: a user bind means the search found someone.
  int UserBinds() const {
    return static_cast<int>(std::count_if(dir_.calls.binds.begin(), dir_.calls.binds.end(),
                                          [](const std::string& dn) { return dn != kLookupDn; }));
  }

  TestRandom random_;
  std::unique_ptr<state::MasterKey> key_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const state::Snapshot> snapshot_;
  FakeDirectory dir_;
  DirectoryLdapAuthenticator auth_{dir_};
};

TEST_F(LdapAuthenticatorTest, CorrectPasswordGivesIdentityWithUserDnPolicies) {
  auto id = Auth("alice", "alice-pw");
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  EXPECT_EQ(id->parent, "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(id->subject, "alice");
  EXPECT_EQ(id->policies, std::vector<std::string>{"alice-home"});
  EXPECT_EQ(id->variables.at("ldap:username"), "alice");
  EXPECT_EQ(id->variables.at("ldap:user"), "uid=alice,ou=people,dc=example,dc=org");
  EXPECT_EQ(id->variables.size(), 2u);
  EXPECT_FALSE(id->not_after.has_value());
}

TEST_F(LdapAuthenticatorTest, FollowsLookupBindSearchUserBindGroupSearch) {
  ASSERT_TRUE(Auth("alice", "alice-pw").has_value());
  const Calls& c = dir_.calls;
  EXPECT_EQ(c.connects, 1);
  EXPECT_EQ(c.endpoint.server, "ldap.example.org:636");
  EXPECT_EQ(c.endpoint.tls, env::DirectoryTls::kLdaps);
  EXPECT_EQ(c.endpoint.ca_file, "/etc/coffer/ldap-ca.pem");
  EXPECT_EQ(c.binds, (std::vector<std::string>{std::string(kLookupDn),
                                               "uid=alice,ou=people,dc=example,dc=org",
                                               std::string(kLookupDn)}));
  ASSERT_EQ(c.searches.size(), 2u);
  EXPECT_EQ(c.searches[0].base, "ou=people,dc=example,dc=org");
  EXPECT_EQ(c.searches[0].filter, "(&(objectClass=inetOrgPerson)(uid=alice))");
  EXPECT_EQ(c.searches[0].size_limit, 2u);
  EXPECT_EQ(c.searches[1].base, "ou=groups,dc=example,dc=org");
  EXPECT_EQ(c.searches[1].filter,
            "(&(objectClass=groupOfNames)(member=uid=alice,ou=people,dc=example,dc=org))");
}

TEST_F(LdapAuthenticatorTest, GroupPoliciesAreMappedThroughNormalisedDns) {
  auto bob = Auth("bob", "bob-pw");
  ASSERT_TRUE(bob.has_value()) << bob.error().ToString();
  EXPECT_EQ(bob->policies, (std::vector<std::string>{"diagnostics", "readonly", "readwrite"}));
  auto carol = Auth("CAROL", "carol-pw");  // The directory matches uid case-insensitively.
  ASSERT_TRUE(carol.has_value()) << carol.error().ToString();
  EXPECT_EQ(carol->policies, (std::vector<std::string>{"diagnostics", "readonly"}));
  EXPECT_EQ(carol->subject, "CAROL");
}

TEST_F(LdapAuthenticatorTest, WrongPasswordIsRefused) {
  auto r = Auth("alice", "wrong");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().message().find("wrong"), std::string::npos);
  EXPECT_EQ(UserBinds(), 1);
}

TEST_F(LdapAuthenticatorTest, EmptyPasswordIsRefusedBeforeAnyTraffic) {
  auto r = Auth("alice", "");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(dir_.calls.connects, 0);
  EXPECT_TRUE(dir_.calls.binds.empty());
}

TEST_F(LdapAuthenticatorTest, EmptyOrOversizedUsernameIsRefused) {
  EXPECT_EQ(Auth("", "x").error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(Auth(std::string(kLdapUsernameMaxBytes + 1, 'a'), "x").error().code(),
            base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(dir_.calls.connects, 0);
}

TEST_F(LdapAuthenticatorTest, UnknownUserAndUserOutsideTheBaseAreRefusedAlike) {
  auto unknown = Auth("mallory", "x");
  auto outside = Auth("eve", "eve-pw");
  auto wrong = Auth("alice", "x");
  ASSERT_FALSE(unknown.has_value());
  ASSERT_FALSE(outside.has_value());
  EXPECT_EQ(unknown.error().code(), base::ErrorCode::kUnauthenticated);
  EXPECT_EQ(outside.error().code(), base::ErrorCode::kUnauthenticated);
  // The same message as a wrong password: usernames cannot be enumerated.
  EXPECT_EQ(unknown.error().message(), wrong.error().message());
  EXPECT_EQ(UserBinds(), 1);  // Only alice's was a user bind.
}

TEST_F(LdapAuthenticatorTest, AmbiguousUsernameIsRefusedWithoutUserBind) {
  auto r = Auth("dup", "dup-pw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated);
  EXPECT_EQ(UserBinds(), 0);
}

TEST_F(LdapAuthenticatorTest, InjectionStringsFindNothing) {
  for (const std::string& attack : std::vector<std::string>{
           "*", "*)(uid=*", "admin)(|(uid=*", "alice)(uid=*", "*)(|(objectClass=*", "al*", "\\2a",
           "alice\\29", std::string("alice\0", 6)}) {
    auto r = Auth(attack, "alice-pw");
    ASSERT_FALSE(r.has_value()) << attack;
    EXPECT_EQ(r.error().code(), base::ErrorCode::kUnauthenticated) << attack;
    EXPECT_EQ(UserBinds(), 0) << attack;
    ASSERT_EQ(dir_.calls.searches.size(), 1u) << attack;
    EXPECT_EQ(FilterItemCount(dir_.calls.searches[0].filter), 2u) << dir_.calls.searches[0].filter;
  }
}

TEST_F(LdapAuthenticatorTest, UserWithoutMappedPolicyIsDenied) {
  dir_.entries.push_back(Person("dave", "dave-pw", "people"));
  auto r = Auth("dave", "dave-pw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kPermissionDenied);
}

TEST_F(LdapAuthenticatorTest, DirectoryDownIsUnavailable) {
  dir_.down = true;
  auto r = Auth("alice", "alice-pw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kUnavailable);
}

TEST_F(LdapAuthenticatorTest, RefusedLookupBindIsUnavailableNotTheCallersFault) {
  dir_.entries[0].password = "rotated";
  auto r = Auth("alice", "alice-pw");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message().find("lookup-pw"), std::string::npos);
  EXPECT_EQ(UserBinds(), 0);
}

TEST_F(LdapAuthenticatorTest, NotConfiguredIsAFailedPrecondition) {
  Install(R"toml(
[policies.p]
json = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
)toml");
  EXPECT_EQ(Auth("alice", "alice-pw").error().code(), base::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(dir_.calls.connects, 0);
}

TEST_F(LdapAuthenticatorTest, MalformedFilterTemplateIsRefusedBeforeAnyTraffic) {
  std::string toml(kBaseConfig);
  std::string from = "(&(objectClass=inetOrgPerson)(uid=%s))";
  toml.replace(toml.find(from), from.size(), "(&(objectClass=inetOrgPerson)(uid=%s)");
  Install(toml);
  EXPECT_EQ(Auth("alice", "alice-pw").error().code(), base::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(dir_.calls.connects, 0);
}

TEST_F(LdapAuthenticatorTest, WithoutGroupSearchOnlyUserPoliciesApply) {
  std::string toml(kBaseConfig);
  std::string from = "group_search_base = \"ou=groups,dc=example,dc=org\"\n";
  toml.erase(toml.find(from), from.size());
  Install(toml);
  auto alice = Auth("alice", "alice-pw");
  ASSERT_TRUE(alice.has_value()) << alice.error().ToString();
  EXPECT_EQ(dir_.calls.searches.size(), 1u);
  EXPECT_EQ(Auth("bob", "bob-pw").error().code(), base::ErrorCode::kPermissionDenied);
}

TEST_F(LdapAuthenticatorTest, StartTlsSettingReachesTheDirectory) {
  std::string toml(kBaseConfig);
  std::string from = "tls = \"tls\"";
  toml.replace(toml.find(from), from.size(), "tls = \"starttls\"");
  Install(toml);
  ASSERT_TRUE(Auth("alice", "alice-pw").has_value());
  EXPECT_EQ(dir_.calls.endpoint.tls, env::DirectoryTls::kStartTls);
}

TEST_F(LdapAuthenticatorTest, TimeoutsDefaultToAFewSecondsAndFollowTimeoutMs) {
  ASSERT_TRUE(Auth("alice", "alice-pw").has_value());
  EXPECT_EQ(dir_.calls.endpoint.connect_timeout, kLdapDefaultTimeout);
  EXPECT_EQ(dir_.calls.endpoint.operation_timeout, kLdapDefaultTimeout);
  EXPECT_LE(kLdapDefaultTimeout, std::chrono::seconds(5));
  std::string toml(kBaseConfig);
  const std::string from = "tls = \"tls\"";
  toml.replace(toml.find(from), from.size(), from + "\ntimeout_ms = 1500");
  Install(toml);
  ASSERT_TRUE(Auth("alice", "alice-pw").has_value());
  EXPECT_EQ(dir_.calls.endpoint.connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(dir_.calls.endpoint.operation_timeout, std::chrono::milliseconds(1500));
  // Out of range: refused before any traffic.
  for (const char* bad : {"timeout_ms = 0", "timeout_ms = 99", "timeout_ms = 600000"}) {
    std::string t(kBaseConfig);
    t.replace(t.find(from), from.size(), from + "\n" + bad);
    Install(t);
    EXPECT_EQ(Auth("alice", "alice-pw").error().code(), base::ErrorCode::kFailedPrecondition)
        << bad;
    EXPECT_EQ(dir_.calls.connects, 0) << bad;
  }
}

}  // namespace
}  // namespace coffer::core::sts
