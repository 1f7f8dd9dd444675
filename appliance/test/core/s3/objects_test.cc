// The object handlers (objects.cc) through the whole request core: signed
// requests from the harness, S3Api::Serve, an erasure set over memory drives.

#include <gtest/gtest.h>

#include "harness.h"

namespace coffer::core::s3 {
namespace {

using testing::AuthMode;
using testing::Response;
using testing::S3Harness;
using testing::SendOptions;

TEST(S3Harness, SignsRequestsTheVerifierAccepts) {
  S3Harness h;
  h.MakeBucket("bkt");
  const Response ok = h.Send("HEAD", "/bkt/missing");
  EXPECT_NE(ok.status, 403u) << ok.body;
  EXPECT_TRUE(ok.finished);
  EXPECT_EQ(ok.violation, "");

  SendOptions wrong;
  wrong.secret_key = "not-the-secret";
  const Response bad = h.Send("GET", "/bkt/missing", {}, "", wrong);
  EXPECT_EQ(bad.status, 403u);
  EXPECT_EQ(bad.Code(), "SignatureDoesNotMatch");

  SendOptions anonymous;
  anonymous.auth = AuthMode::kAnonymous;
  const Response denied = h.Send("GET", "/bkt/missing", {}, "", anonymous);
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(denied.Code(), "AccessDenied");
}

}  // namespace
}  // namespace coffer::core::s3
