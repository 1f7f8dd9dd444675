#include "coffer/core/audit/audit_log.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "coffer/base/bytes.h"
#include "coffer/core/audit/audit_handler.h"
#include "coffer/core/audit/metrics.h"

#include "fakes.h"

namespace coffer::core::audit {
namespace {

using testing::FakePeers;
using testing::VirtualEnv;

TargetConfig Webhook(const std::string& name, FullMode mode = FullMode::kStrict,
                     std::size_t queue_size = 1000) {
  TargetConfig t;
  t.kind = TargetConfig::Kind::kWebhook;
  t.name = name;
  t.webhook.name = name;
  t.webhook.endpoint = "http://127.0.0.1:1/" + name;
  t.queue_dir = "/spool/" + name;
  t.queue_size = queue_size;
  t.batch_size = 3;
  t.mode = mode;
  return t;
}

std::string Entry(const std::string& id) {
  return nlohmann::json{{"requestID", id}, {"api", {{"name", "PutObject"}}}}.dump();
}

// Records what reaches the client.
class RecordingWriter final : public ResponseWriter {
 public:
  base::Status Start(unsigned s, const HeaderList&, std::optional<std::uint64_t>) override {
    status = s;
    started_ = true;
    return base::Ok();
  }
  base::Status Write(std::span<const std::byte> data) override {
    body += std::string(base::AsChars(data));
    return base::Ok();
  }
  base::Status Finish() override {
    finished = true;
    return base::Ok();
  }
  bool started() const override { return started_; }
  unsigned status = 0;
  std::string body;
  bool finished = false;

 private:
  bool started_ = false;
};

class EmptyBody final : public BodyReader {
 public:
  base::Result<std::size_t> Read(std::span<std::byte>) override { return std::size_t{0}; }
  std::optional<std::uint64_t> content_length() const override { return 0; }
};

// A handler that "writes an object": counts calls, fills facts, answers 200 + body.
class FakeS3 final : public Handler {
 public:
  void Serve(const HttpRequest& request, BodyReader&, ResponseWriter& response) override {
    calls++;
    if (request.facts != nullptr) {
      request.facts->api = "PutObject";
      request.facts->bucket = "bkt1";
    }
    const std::string body = "done";
    (void)response.Start(200, {{"etag", "\"x\""}}, body.size());
    // Until the entry is durable the client must not see the response complete.
    (void)response.Write(base::AsBytes(body));
    (void)response.Finish();
  }
  int calls = 0;
};

HttpRequest Put(const std::string& id) {
  HttpRequest r;
  r.method = "PUT";
  r.target = "/bkt1/k?X-Amz-Signature=SECRETSIG";
  r.request_id = id;
  r.remote_address = "127.0.0.1:1";
  return r;
}

TEST(AuditLog, DeliversEveryEntryInOrderAcrossAnOutage) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep", std::chrono::milliseconds(100), std::chrono::seconds(5)});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  auto sink = peers.Sink("hook");
  sink->down = true;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log.Record(Entry("id" + std::to_string(i))));
  env.RunFor(std::chrono::seconds(20));
  EXPECT_GT(sink->attempts, 3);  // Retried with backoff.
  EXPECT_TRUE(sink->request_ids.empty());
  EXPECT_EQ(log.Stats()[0].queued, 10u);
  sink->down = false;
  env.RunFor(std::chrono::seconds(10));
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i) want.push_back("id" + std::to_string(i));
  EXPECT_EQ(sink->request_ids, want);
  const TargetStats stats = log.Stats()[0];
  EXPECT_EQ(stats.delivered, 10u);
  EXPECT_GT(stats.failed, 0u);
  EXPECT_EQ(stats.queued, 0u);
  // Batches are JSON lines, at most batch_size each.
  for (const auto& body : sink->bodies) {
    EXPECT_LE(std::count(body.begin(), body.end(), '\n'), 3);
  }
}

TEST(AuditLog, BackoffGrowsBetweenAttempts) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep", std::chrono::milliseconds(100), std::chrono::seconds(60)});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  auto sink = peers.Sink("hook");
  sink->down = true;
  ASSERT_TRUE(log.Record(Entry("x")));
  env.RunFor(std::chrono::seconds(10));
  // 100 ms doubling (with jitter in [d/2, d]) reaches ~7 attempts in 10 s,
  // not the 100 a fixed 100 ms retry would make.
  EXPECT_GE(sink->attempts, 4);
  EXPECT_LE(sink->attempts, 10);
}

TEST(AuditLog, UndeliveredEntriesAreDeliveredAfterARestart) {
  VirtualEnv env;
  FakePeers peers;
  {
    AuditLog log(env, peers, {"dep"});
    ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
    peers.Sink("hook")->down = true;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log.Record(Entry("r" + std::to_string(i))));
    env.RunFor(std::chrono::seconds(1));
  }
  peers.folders["/spool/hook"]->Crash();
  peers.Sink("hook")->down = false;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  env.RunFor(std::chrono::seconds(1));
  EXPECT_EQ(peers.Sink("hook")->request_ids,
            (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
}

TEST(AuditLog, EveryTargetGetsEveryEntryAndRemovedTargetsStop) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  TargetConfig file = Webhook("local");
  file.kind = TargetConfig::Kind::kFile;
  file.file.name = "local";
  ASSERT_TRUE(log.Configure({Webhook("a"), file}).empty());
  ASSERT_TRUE(log.Record(Entry("e1")));
  env.RunFor(std::chrono::seconds(1));
  EXPECT_EQ(peers.Sink("a")->request_ids, std::vector<std::string>{"e1"});
  EXPECT_EQ(peers.Sink("local")->request_ids, std::vector<std::string>{"e1"});
  ASSERT_TRUE(log.Configure({Webhook("a")}).empty());
  ASSERT_TRUE(log.Record(Entry("e2")));
  env.RunFor(std::chrono::seconds(1));
  EXPECT_EQ(peers.Sink("a")->request_ids, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(peers.Sink("local")->request_ids, std::vector<std::string>{"e1"});
}

std::vector<std::string> Ids(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST(AuditLog, AChangedQueueDirMovesTheUndeliveredEntriesAheadOfNewOnes) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  peers.Sink("hook")->down = true;
  for (const auto& id : Ids("old", 5)) ASSERT_TRUE(log.Record(Entry(id)));
  env.RunFor(std::chrono::seconds(1));
  TargetConfig moved = Webhook("hook");
  moved.queue_dir = "/spool/hook-new";
  ASSERT_TRUE(log.Configure({moved}).empty());
  EXPECT_EQ(log.Stats()[0].queued, 5u);
  for (const auto& id : Ids("new", 2)) ASSERT_TRUE(log.Record(Entry(id)));
  peers.Sink("hook")->down = false;
  env.RunFor(std::chrono::seconds(30));
  std::vector<std::string> want = Ids("old", 5);
  for (const auto& id : Ids("new", 2)) want.push_back(id);
  EXPECT_EQ(peers.Sink("hook")->request_ids, want);
  // Nothing is left behind in the old folder: a restart finds it empty.
  auto old_spool = Spool::Open(*peers.OpenSpoolDir("/spool/hook"), SpoolOptions{});
  ASSERT_TRUE(old_spool.has_value());
  EXPECT_EQ((*old_spool)->queued(), 0u);
}

TEST(AuditLog, AQueueDirChangedWhileStoppedIsDrainedAtStart) {
  VirtualEnv env;
  FakePeers peers;
  AuditLogOptions options{"dep"};
  options.state_dir = "/state";
  {
    AuditLog log(env, peers, options);
    ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
    peers.Sink("hook")->down = true;
    for (const auto& id : Ids("r", 4)) ASSERT_TRUE(log.Record(Entry(id)));
    env.RunFor(std::chrono::seconds(1));
  }
  peers.folders["/spool/hook"]->Crash();
  peers.Sink("hook")->down = false;
  AuditLog log(env, peers, options);
  TargetConfig moved = Webhook("hook");
  moved.queue_dir = "/elsewhere/hook";
  ASSERT_TRUE(log.Configure({moved}).empty());
  ASSERT_TRUE(log.Record(Entry("after")));
  env.RunFor(std::chrono::seconds(5));
  std::vector<std::string> want = Ids("r", 4);
  want.push_back("after");
  EXPECT_EQ(peers.Sink("hook")->request_ids, want);
}

TEST(AuditHandler, StrictFullSpoolRefusesBeforeTheHandlerRuns) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook", FullMode::kStrict, 2)}).empty());
  peers.Sink("hook")->down = true;
  RequestMetrics metrics;
  FakeS3 s3;
  AuditHandler handler(env, s3, log, metrics);
  EmptyBody body;
  for (int i = 0; i < 2; ++i) {
    RecordingWriter w;
    handler.Serve(Put("ok" + std::to_string(i)), body, w);
    EXPECT_EQ(w.status, 200u);
    EXPECT_TRUE(w.finished);
  }
  RecordingWriter refused;
  handler.Serve(Put("full"), body, refused);
  EXPECT_EQ(refused.status, 503u);
  EXPECT_NE(refused.body.find("ServiceUnavailable"), std::string::npos);
  EXPECT_EQ(s3.calls, 2);  // The third PUT never ran: nothing written.
  EXPECT_EQ(log.Stats()[0].refused, 1u);
}

TEST(AuditHandler, BestEffortFullSpoolDropsAndCounts) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook", FullMode::kBestEffort, 1)}).empty());
  peers.Sink("hook")->down = true;
  RequestMetrics metrics;
  FakeS3 s3;
  AuditHandler handler(env, s3, log, metrics);
  EmptyBody body;
  for (int i = 0; i < 3; ++i) {
    RecordingWriter w;
    handler.Serve(Put("p" + std::to_string(i)), body, w);
    EXPECT_EQ(w.status, 200u);
  }
  EXPECT_EQ(s3.calls, 3);
  EXPECT_EQ(log.Stats()[0].dropped, 2u);
  EXPECT_NE(
      RenderMetrics(metrics, log).find("coffer_audit_dropped_total{target=\"webhook:hook\"} 2"),
      std::string::npos);
}

TEST(AuditHandler, AResponseIsWithheldWhenItsEntryCannotBeMadeDurable) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  peers.folders["/spool/hook"]->fail_appends = true;
  RequestMetrics metrics;
  FakeS3 s3;
  AuditHandler handler(env, s3, log, metrics);
  EmptyBody body;
  RecordingWriter w;
  handler.Serve(Put("x"), body, w);
  EXPECT_EQ(s3.calls, 1);
  EXPECT_FALSE(w.finished);
  EXPECT_NE(w.body, "done");  // The final body piece was held back.
}

TEST(AuditHandler, EntryIsRedactedAndMeasured) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  ASSERT_TRUE(log.Configure({Webhook("hook")}).empty());
  RequestMetrics metrics;
  FakeS3 s3;
  AuditHandler handler(env, s3, log, metrics);
  EmptyBody body;
  RecordingWriter w;
  handler.Serve(Put("m1"), body, w);
  EXPECT_TRUE(w.finished);
  EXPECT_EQ(w.body, "done");
  env.RunFor(std::chrono::seconds(1));
  auto sink = peers.Sink("hook");
  ASSERT_EQ(sink->bodies.size(), 1u);
  EXPECT_EQ(sink->bodies[0].find("SECRETSIG"), std::string::npos);
  const auto doc = nlohmann::json::parse(sink->bodies[0]);
  EXPECT_EQ(doc["requestID"], "m1");
  EXPECT_EQ(doc["api"]["name"], "PutObject");
  EXPECT_EQ(doc["api"]["tx"], 4);
  EXPECT_EQ(doc["api"]["statusCode"], 200);
  const std::string text = RenderMetrics(metrics, log);
  EXPECT_NE(text.find("coffer_requests_total{api=\"PutObject\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("coffer_audit_delivered_total{target=\"webhook:hook\"} 1"),
            std::string::npos);
}

TEST(MetricsHandler, RefusesWithoutAConfiguredToken) {
  VirtualEnv env;
  FakePeers peers;
  AuditLog log(env, peers, {"dep"});
  RequestMetrics metrics;
  MetricsHandler handler(metrics, log, [] { return nullptr; });
  HttpRequest r;
  r.method = "GET";
  r.target = "/metrics";
  r.headers = {{"authorization", "Bearer anything"}};
  EXPECT_TRUE(MetricsHandler::Owns(r));
  EmptyBody body;
  RecordingWriter w;
  handler.Serve(r, body, w);
  EXPECT_EQ(w.status, 403u);
  EXPECT_EQ(w.body.find("coffer_"), std::string::npos);
}

}  // namespace
}  // namespace coffer::core::audit
