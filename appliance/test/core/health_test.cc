#include "coffer/core/health.h"

#include <gtest/gtest.h>

namespace coffer::core {
namespace {

HttpRequest Get(std::string target) {
  HttpRequest r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

TEST(Health, LiveAnswersOnBothPathFamilies) {
  Health health;
  for (const char* path : {"/health/live", "/minio/health/live"}) {
    auto r = health.Handle(Get(path));
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200u);
  }
}

TEST(Health, NotReadyUntilAComponentReports) {
  Health health;
  auto r = health.Handle(Get("/health/ready"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503u);
  health.Set("drives", true);
  r = health.Handle(Get("/minio/health/ready"));
  EXPECT_EQ(r->status, 200u);
  EXPECT_TRUE(health.Ready());
}

TEST(Health, OneDegradedComponentMakesItNotReadyAndSaysWhy) {
  Health health;
  health.Set("drives", true);
  health.Set("reconcile", false, "config invalid at revision abc");
  auto r = health.Handle(Get("/health/ready"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503u);
  EXPECT_NE(r->body.find("config invalid at revision abc"), std::string::npos);
  EXPECT_NE(r->body.find("\"status\":\"degraded\""), std::string::npos);
  health.Set("reconcile", true);
  EXPECT_EQ(health.Handle(Get("/health/ready"))->status, 200u);
}

TEST(Health, OtherPathsAreNotHealth) {
  Health health;
  EXPECT_FALSE(health.Handle(Get("/bucket/health/live")).has_value());
  EXPECT_FALSE(health.Handle(Get("/")).has_value());
}

TEST(Health, OnlyGetAndHead) {
  Health health;
  HttpRequest r = Get("/health/live");
  r.method = "POST";
  EXPECT_EQ(health.Handle(r)->status, 405u);
  r.method = "HEAD";
  EXPECT_EQ(health.Handle(r)->status, 200u);
}

}  // namespace
}  // namespace coffer::core
