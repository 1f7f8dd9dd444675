#include "coffer/core/router.h"

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace coffer::core {
namespace {

class NoBody final : public BodyReader {
 public:
  base::Result<std::size_t> Read(std::span<std::byte>) override { return std::size_t{0}; }
  std::optional<std::uint64_t> content_length() const override { return std::nullopt; }
};

class Capture final : public ResponseWriter {
 public:
  base::Status Start(unsigned s, const HeaderList&, std::optional<std::uint64_t>) override {
    status = s;
    return {};
  }
  base::Status Write(std::span<const std::byte> data) override {
    body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return {};
  }
  base::Status Finish() override { return {}; }
  bool started() const override { return status != 0; }
  unsigned status = 0;
  std::string body;
};

// Answers with its own name, so a test sees who served.
class Named final : public Handler {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void Serve(const HttpRequest& request, BodyReader&, ResponseWriter& response) override {
    if (request.facts != nullptr) request.facts->api = name_;
    (void)response.Start(200, {}, name_.size());
    (void)response.Write(std::as_bytes(std::span(name_.data(), name_.size())));
    (void)response.Finish();
  }

 private:
  std::string name_;
};

std::string Route(Router& router, std::string method, std::string target, RequestFacts* facts) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.facts = facts;
  NoBody body;
  Capture out;
  router.Serve(request, body, out);
  return out.body;
}

TEST(Router, HealthFirstThenRoutesInOrderThenFallback) {
  Health health;
  health.Set("store", true);
  Router router(health);
  router.AddRoute(
      "admin", [](const HttpRequest& r) { return r.target.starts_with("/coffer/admin/"); },
      std::make_unique<Named>("admin"));
  router.AddRoute(
      "catch-post", [](const HttpRequest& r) { return r.method == "POST"; },
      std::make_unique<Named>("post"));
  router.SetFallback(std::make_unique<Named>("s3"));

  RequestFacts facts;
  EXPECT_EQ(Route(router, "GET", "/coffer/admin/v1/x", &facts), "admin");
  EXPECT_EQ(facts.api, "admin");
  // The first matching route wins: admin before the catch-all POST route.
  EXPECT_EQ(Route(router, "POST", "/coffer/admin/v1/x", nullptr), "admin");
  EXPECT_EQ(Route(router, "POST", "/", nullptr), "post");
  EXPECT_EQ(Route(router, "GET", "/bkt1/key", nullptr), "s3");
  EXPECT_NE(Route(router, "GET", "/health/live", &facts), "s3");
  EXPECT_EQ(facts.api, "Health");
}

TEST(Router, WithoutFallbackAnswers503) {
  Health health;
  Router router(health);
  HttpRequest request;
  request.method = "GET";
  request.target = "/bkt1";
  NoBody body;
  Capture out;
  router.Serve(request, body, out);
  EXPECT_EQ(out.status, 503u);
}

}  // namespace
}  // namespace coffer::core
