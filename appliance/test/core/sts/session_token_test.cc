#include "coffer/core/sts/session_token.h"

#include <string>

#include <gtest/gtest.h>

#include "coffer/state/crypto.h"

#include "../storage/mem_env.h"

namespace coffer::core::sts {
namespace {

using storage::testing::MemEnv;

SessionClaims SampleClaims(MemEnv& env) {
  SessionClaims c;
  c.access_key = "ASIAEXAMPLE000000001";
  c.secret_key = base::Secret(std::string("secret/with+chars-0123456789abcdefghijkl"));
  c.parent_kind = ParentKind::kFederated;
  c.parent = "oidc:corp:alice";
  c.subject = "alice";
  c.policies = {"readonly", "team-a"};
  c.session_policy = R"({"Version":"2012-10-17","Statement":[]})";
  c.variables = {{"jwt:sub", "alice"}, {"jwt:groups", "a,b"}};
  c.issued_at = env.Now();
  c.expires_at = env.Now() + std::chrono::hours(1);
  return c;
}

std::unique_ptr<SessionTokenCodec> MakeCodec(MemEnv& env, char fill = 'k') {
  auto codec = SessionTokenCodec::FromKeyBytes(base::Secret(std::string(32, fill)), env.LibCtx());
  EXPECT_TRUE(codec.has_value());
  return std::move(codec).value();
}

TEST(SessionToken, SealThenOpenGivesBackEveryClaim) {
  MemEnv env;
  auto codec = MakeCodec(env);
  const SessionClaims in = SampleClaims(env);
  auto token = codec->Seal(in, env);
  ASSERT_TRUE(token.has_value());
  EXPECT_TRUE(token->starts_with("CST1"));
  // SECURITY: the secret never appears in the token in clear.
  EXPECT_EQ(token->find("secret/with"), std::string::npos);
  auto out = codec->Open(*token);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(out->access_key, in.access_key);
  EXPECT_EQ(out->secret_key.Reveal(), in.secret_key.Reveal());
  EXPECT_EQ(out->parent_kind, in.parent_kind);
  EXPECT_EQ(out->parent, in.parent);
  EXPECT_EQ(out->subject, in.subject);
  EXPECT_EQ(out->policies, in.policies);
  EXPECT_EQ(out->session_policy, in.session_policy);
  EXPECT_EQ(out->variables, in.variables);
  EXPECT_EQ(out->issued_at, in.issued_at);
  EXPECT_EQ(out->expires_at, in.expires_at);
}

TEST(SessionToken, EveryFlippedCharacterIsRefused) {
  MemEnv env;
  auto codec = MakeCodec(env);
  auto token = codec->Seal(SampleClaims(env), env);
  ASSERT_TRUE(token.has_value());
  for (std::size_t i = 0; i < token->size(); ++i) {
    std::string bad = *token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto opened = codec->Open(bad);
    ASSERT_FALSE(opened.has_value()) << "position " << i;
    EXPECT_EQ(opened.error().code(), base::ErrorCode::kUnauthenticated);
    // The refusal never echoes the token.
    EXPECT_EQ(opened.error().message().find(bad.substr(4, 16)), std::string::npos);
  }
}

TEST(SessionToken, TruncatedAndExtendedTokensAreRefused) {
  MemEnv env;
  auto codec = MakeCodec(env);
  auto token = codec->Seal(SampleClaims(env), env);
  ASSERT_TRUE(token.has_value());
  for (std::size_t n : {std::size_t{0}, std::size_t{3}, std::size_t{4}, std::size_t{10},
                        token->size() / 2, token->size() - 1}) {
    EXPECT_FALSE(codec->Open(token->substr(0, n)).has_value()) << n;
  }
  EXPECT_FALSE(codec->Open(*token + "A").has_value());
  EXPECT_FALSE(codec->Open(*token + "AAAA").has_value());
  EXPECT_FALSE(codec->Open(*token + "=").has_value());
}

TEST(SessionToken, AnotherKeyCannotOpen) {
  MemEnv env;
  auto mine = MakeCodec(env, 'k');
  auto theirs = MakeCodec(env, 'x');
  auto token = theirs->Seal(SampleClaims(env), env);
  ASSERT_TRUE(token.has_value());
  EXPECT_FALSE(mine->Open(*token).has_value());
}

TEST(SessionToken, GarbageAndOversizedInputAreRefused) {
  MemEnv env;
  auto codec = MakeCodec(env);
  for (std::string_view bad : {"", "CST1", "CST1====", "CST2AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                               "not a token", "CST1!!!!", "CST1\n\r\t"}) {
    EXPECT_FALSE(codec->Open(bad).has_value()) << bad;
  }
  EXPECT_FALSE(codec->Open("CST1" + std::string(kMaxSessionTokenBytes, 'A')).has_value());
}

TEST(SessionToken, SealingTwiceGivesDifferentTokens) {
  MemEnv env;
  auto codec = MakeCodec(env);
  const SessionClaims c = SampleClaims(env);
  auto a = codec->Seal(c, env);
  auto b = codec->Seal(c, env);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(*a, *b);
  EXPECT_NE(codec->Digest(*a), codec->Digest(*b));
  EXPECT_EQ(codec->Digest(*a).size(), 64u);
}

TEST(SessionToken, DerivedFromTheMasterKeyAndNotEqualToIt) {
  MemEnv env;
  const state::MasterKey master = state::MasterKey::Generate(env);
  auto derived = SessionTokenCodec::Create(master, env.LibCtx());
  ASSERT_TRUE(derived.has_value());
  auto raw = SessionTokenCodec::FromKeyBytes(master.bytes(), env.LibCtx());
  ASSERT_TRUE(raw.has_value());
  auto token = (*derived)->Seal(SampleClaims(env), env);
  ASSERT_TRUE(token.has_value());
  EXPECT_TRUE((*derived)->Open(*token).has_value());
  // SECURITY: the master key itself does not open tokens.
  EXPECT_FALSE((*raw)->Open(*token).has_value());
  // A second codec from the same master key (another node) opens it.
  auto other_node = SessionTokenCodec::Create(master, env.LibCtx());
  ASSERT_TRUE(other_node.has_value());
  EXPECT_TRUE((*other_node)->Open(*token).has_value());
}

TEST(SessionToken, WrongKeySizeIsRefusedAtCreation) {
  MemEnv env;
  EXPECT_FALSE(SessionTokenCodec::FromKeyBytes(base::Secret(std::string(16, 'k')), env.LibCtx())
                   .has_value());
}

}  // namespace
}  // namespace coffer::core::sts
