// KesClient's mapping of KES answers to the seam's error codes, and its
// refusal of bad configuration and unreachable servers (no server needed).

#include "coffer/posix/kes_client.h"

#include <gtest/gtest.h>

namespace coffer::posix {
namespace {

base::ErrorCode CodeFor(std::string_view api, unsigned status, std::string body = "") {
  return KesClient::ErrorFor(api, KesClient::Reply{status, std::move(body)}, "kes").code();
}

TEST(KesClient, StatusesMapToTheSeamsCodes) {
  EXPECT_EQ(CodeFor("generate", 403), base::ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeFor("generate", 404), base::ErrorCode::kNotFound);
  EXPECT_EQ(CodeFor("create", 409), base::ErrorCode::kAlreadyExists);
  // Real KES answers 400 "key already exists".
  EXPECT_EQ(CodeFor("create", 400, R"({"message":"key already exists"})"),
            base::ErrorCode::kAlreadyExists);
  EXPECT_EQ(CodeFor("decrypt", 400, R"({"message":"ciphertext is not authentic"})"),
            base::ErrorCode::kDataLoss);
  EXPECT_EQ(CodeFor("rewrap", 400), base::ErrorCode::kDataLoss);
  EXPECT_EQ(CodeFor("generate", 400), base::ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeFor("generate", 503), base::ErrorCode::kUnavailable);
  EXPECT_EQ(CodeFor("generate", 500), base::ErrorCode::kUnavailable);
  auto e = KesClient::ErrorFor("decrypt", {403, R"({"message":"not authorized"})"}, "kes 1.2.3.4");
  EXPECT_EQ(e.message(), "kes 1.2.3.4: decrypt: not authorized");
}

TEST(KesClient, BadAddressOrFilesAreRefused) {
  KesClientOptions options;
  options.address = "no-port";
  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(KesClient::Create(options).error().code(), base::ErrorCode::kInvalidArgument);
  options.address = "127.0.0.1:7373";
  auto r = KesClient::Create(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("/nonexistent/ca.pem"), std::string::npos);
}

TEST(KesClient, RefusedConnectionIsUnavailable) {
  KesClientOptions options;
  options.address = "https://127.0.0.1:1";  // Nothing listens on port 1.
  options.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  options.timeout = std::chrono::milliseconds(2000);
  auto client = KesClient::Create(options);
  ASSERT_TRUE(client.has_value()) << client.error().ToString();
  auto dk = (*client)->GenerateKey("k", "ctx");
  ASSERT_FALSE(dk.has_value());
  EXPECT_EQ(dk.error().code(), base::ErrorCode::kUnavailable);
  EXPECT_EQ((*client)->Status().error().code(), base::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace coffer::posix
