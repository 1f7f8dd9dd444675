// The key service reports into core::Health without gating readiness: plain
// requests keep working while it is down, so probes must not take the
// appliance out of service, yet the status must say it is down.

#include <gtest/gtest.h>

#include "coffer/core/health.h"

namespace coffer::core {
namespace {

TEST(HealthAdvisory, KeyServiceDownIsReportedButStaysReady) {
  Health health;
  health.Set("drives", true);
  health.Set("key_service", false, "key service 127.0.0.1:7373 unreachable",
             /*gate_readiness=*/false);
  EXPECT_TRUE(health.Ready());
  HttpRequest r;
  r.method = "GET";
  r.target = "/health/ready";
  auto response = health.Handle(r);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200u);
  EXPECT_NE(response->body.find("\"key_service\":{\"ready\":false,\"reason\":\"key service "
                                "127.0.0.1:7373 unreachable\"}"),
            std::string::npos)
      << response->body;
  // A gating component still gates.
  health.Set("drives", false, "1 of 4 drives online");
  EXPECT_FALSE(health.Ready());
  EXPECT_EQ(health.Handle(r)->status, 503u);
}

}  // namespace
}  // namespace coffer::core
