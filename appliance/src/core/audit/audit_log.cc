#include "coffer/core/audit/audit_log.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "coffer/base/assert.h"
#include "coffer/base/bytes.h"
#include "coffer/state/snapshot.h"

namespace coffer::core::audit {

// One target: its spool, its sink and its deliverer's state. Callbacks hold
// weak pointers, so a removed target's late completions find nothing.
struct AuditLog::Target {
  Target(env::Env& e, const AuditLogOptions& o) : env(e), options(o) {}

  env::Env& env;
  const AuditLogOptions options;  // A copy: a late callback may outlive the log.
  std::string id;
  std::shared_ptr<Spool> spool;  // Immutable once set.
  std::atomic<bool> strict{true};
  std::atomic<std::size_t> batch_size{100};

  std::mutex mu;
  TargetConfig config;                   // GUARDED_BY(mu)
  std::shared_ptr<env::AuditSink> sink;  // GUARDED_BY(mu)
  bool busy = false;                     // A delivery is in flight or scheduled. GUARDED_BY(mu)
  bool stopped = false;                  // GUARDED_BY(mu)
  unsigned attempts = 0;                 // Failures in a row. GUARDED_BY(mu)
  env::TaskId retry = 0;                 // GUARDED_BY(mu)
  std::string last_error;                // GUARDED_BY(mu)

  // Set when a reconfigure moved this target to another queue_dir: entries
  // still in (or late to) this spool are forwarded there. GUARDED_BY(mu)
  std::shared_ptr<Target> successor;
  std::mutex forward_mu;  // One forwarder at a time, so nothing moves twice.

  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> latency_count{0};
  std::atomic<std::int64_t> latency_sum_ns{0};
};

namespace {

using Target = AuditLog::Target;

std::size_t ParseSize(const std::map<std::string, std::string>& fields, const std::string& key,
                      std::size_t fallback) {
  auto it = fields.find(key);
  if (it == fields.end()) return fallback;
  std::size_t v = 0;
  const auto [end, ec] =
      std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || v == 0) return fallback;
  return v;
}

std::string Field(const std::map<std::string, std::string>& fields, const std::string& key) {
  auto it = fields.find(key);
  return it == fields.end() ? std::string() : it->second;
}

// The request ID of a spooled entry: entries are dumped with sorted keys and
// no spaces, so the field reads "requestID":"...".
std::string RequestIdOf(std::string_view payload) {
  constexpr std::string_view kKey = "\"requestID\":\"";
  const auto at = payload.find(kKey);
  if (at == std::string_view::npos) return {};
  const auto start = at + kKey.size();
  const auto end = payload.find('"', start);
  return std::string(payload.substr(start, end == std::string_view::npos ? 0 : end - start));
}

bool SameSink(const TargetConfig& a, const TargetConfig& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == TargetConfig::Kind::kFile) {
    return a.file.path == b.file.path && a.file.rotate_size_bytes == b.file.rotate_size_bytes &&
           a.file.max_files == b.file.max_files;
  }
  return a.webhook.endpoint == b.webhook.endpoint &&
         a.webhook.auth_token.EqualsConstantTime(b.webhook.auth_token.Reveal()) &&
         a.webhook.client_cert_file == b.webhook.client_cert_file &&
         a.webhook.client_key_file == b.webhook.client_key_file &&
         a.webhook.ca_file == b.webhook.ca_file && a.webhook.timeout == b.webhook.timeout;
}

void DeliverNext(const std::shared_ptr<Target>& target);

// Moves every undelivered record of `from` into `to` (the same target's new
// queue_dir), oldest first: durable in `to` before acknowledged in `from`, so
// a crash in between only delivers some twice, which at-least-once allows.
base::Status MoveSpool(Spool& from, Spool& to) {
  std::vector<SpoolRecord> records = from.Peek(std::numeric_limits<std::size_t>::max());
  if (records.empty()) return base::Ok();
  std::vector<std::string> payloads;
  payloads.reserve(records.size());
  for (SpoolRecord& r : records) payloads.push_back(std::move(r.payload));
  COFFER_RETURN_IF_ERROR(to.AppendAll(std::move(payloads)));
  return from.Ack(records.back().seq);
}

// Follows `t`'s successors, moving what each left behind into the next, and
// returns the live target at the end of the chain.
std::shared_ptr<Target> ForwardChain(std::shared_ptr<Target> t) {
  for (;;) {
    std::shared_ptr<Target> next;
    {
      std::lock_guard lock(t->mu);
      next = t->successor;
    }
    if (next == nullptr) return t;
    {
      std::lock_guard lock(t->forward_mu);
      if (auto moved = MoveSpool(*t->spool, *next->spool); !moved.has_value()) {
        t->env.log().Warn("audit", "cannot move entries to the new queue_dir; will retry",
                          {{"target", t->id}, {"error", moved.error().message()}});
      }
    }
    t = std::move(next);
  }
}

constexpr std::string_view kQueueDirsFile = "queue-dirs";

// The queue_dir each target used last, as saved in the state folder: lines
// "<id>\t<queue_dir>".
std::map<std::string, std::string> ParseQueueDirs(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0 || tab + 1 == line.size()) continue;
    out.emplace(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
  }
  return out;
}

// Schedules the next delivery attempt after a failure: exponential backoff
// with jitter (half fixed, half random), capped.
void ScheduleRetry(const std::shared_ptr<Target>& t) {
  std::weak_ptr<Target> weak = t;
  std::lock_guard lock(t->mu);
  if (t->stopped) return;
  const unsigned shift = std::min(t->attempts, 16u);
  const auto base =
      std::min<std::int64_t>(t->options.retry_min.count() << shift, t->options.retry_max.count());
  const auto jitter = static_cast<std::int64_t>(
      t->env.random().Uniform(0, static_cast<std::uint64_t>(std::max<std::int64_t>(base / 2, 1))));
  const std::chrono::milliseconds delay(base / 2 + jitter);
  t->retry = t->env.scheduler().PostAfter(delay, [weak] {
    if (auto target = weak.lock()) DeliverNext(target);
  });
}

void OnDelivered(const std::shared_ptr<Target>& t, base::Status status, std::uint64_t last_seq,
                 std::size_t count, base::MonoTime started) {
  std::weak_ptr<Target> weak = t;
  if (status.has_value()) {
    const auto elapsed = t->env.clock().Monotonic() - started;
    t->delivered.fetch_add(count);
    t->latency_count.fetch_add(1);
    t->latency_sum_ns.fetch_add(elapsed.count());
    if (auto acked = t->spool->Ack(last_seq); !acked.has_value()) {
      // The cursor stays behind: these entries will be delivered again after
      // a restart, which at-least-once allows.
      t->env.log().Warn("audit", "cannot persist the delivery cursor",
                        {{"target", t->id}, {"error", acked.error().message()}});
    }
    {
      std::lock_guard lock(t->mu);
      t->attempts = 0;
      if (t->stopped) return;
    }
    // Through the scheduler, not a direct call: a synchronous sink would
    // otherwise recurse once per batch.
    t->env.scheduler().Post([weak] {
      if (auto target = weak.lock()) DeliverNext(target);
    });
    return;
  }
  t->failed.fetch_add(1);
  {
    std::lock_guard lock(t->mu);
    if (t->attempts == 0) {
      t->env.log().Warn("audit", "delivery failed; will retry",
                        {{"target", t->id}, {"error", status.error().message()}});
    }
    t->attempts++;
    t->last_error = status.error().message();
  }
  ScheduleRetry(t);
}

void DeliverNext(const std::shared_ptr<Target>& t) {
  std::shared_ptr<env::AuditSink> sink;
  std::vector<SpoolRecord> records = t->spool->Peek(t->batch_size.load());
  {
    std::lock_guard lock(t->mu);
    t->retry = 0;
    if (t->stopped) {
      t->busy = false;
      return;
    }
    if (records.empty()) {
      // INVARIANT: an append that saw busy == true did not kick; look again
      // now that busy is false so its record is not stranded.
      t->busy = false;
      if (t->spool->queued() == 0) return;
      t->busy = true;
      records = t->spool->Peek(t->batch_size.load());
      if (records.empty()) {
        t->busy = false;
        return;
      }
    }
    sink = t->sink;
  }
  env::AuditBatch batch;
  std::size_t bytes = 0;
  for (const auto& r : records) bytes += r.payload.size() + 1;
  batch.body.reserve(bytes);
  for (const auto& r : records) {
    batch.request_ids.push_back(RequestIdOf(r.payload));
    batch.body += r.payload;
    batch.body += '\n';
  }
  const std::uint64_t last_seq = records.back().seq;
  const std::size_t count = records.size();
  const base::MonoTime started = t->env.clock().Monotonic();
  std::weak_ptr<Target> weak = t;
  sink->Deliver(std::move(batch), [weak, last_seq, count, started](base::Status status) {
    if (auto target = weak.lock()) OnDelivered(target, std::move(status), last_seq, count, started);
  });
}

}  // namespace

std::string TargetConfig::Id() const { return (kind == Kind::kFile ? "file:" : "webhook:") + name; }

std::vector<TargetConfig> TargetsFromSnapshot(const state::Snapshot& snapshot,
                                              const std::string& spool_root,
                                              std::vector<std::string>& errors) {
  std::vector<TargetConfig> out;
  for (const char* kind : {"audit_webhook", "audit_file"}) {
    for (const state::SettingsEntry* s : snapshot.SettingsOfKind(kind)) {
      const auto& f = s->fields;
      if (Field(f, "enabled") == "false") continue;
      TargetConfig t;
      t.name = s->name;
      const bool file = std::string_view(kind) == "audit_file";
      t.kind = file ? TargetConfig::Kind::kFile : TargetConfig::Kind::kWebhook;
      if (file) {
        t.file.name = s->name;
        t.file.path = Field(f, "path");
        t.file.rotate_size_bytes = ParseSize(f, "rotate_size_bytes", t.file.rotate_size_bytes);
        t.file.max_files = static_cast<unsigned>(ParseSize(f, "max_files", t.file.max_files));
      } else {
        t.webhook.name = s->name;
        t.webhook.endpoint = Field(f, "endpoint");
        if (auto it = s->secrets.find("auth_token"); it != s->secrets.end()) {
          t.webhook.auth_token = it->second;
        }
        t.webhook.client_cert_file = Field(f, "client_cert_file");
        t.webhook.client_key_file = Field(f, "client_key_file");
        t.webhook.ca_file = Field(f, "ca_file");
        t.webhook.timeout = std::chrono::milliseconds(ParseSize(f, "timeout_ms", 5000));
      }
      t.queue_dir = Field(f, "queue_dir");
      if (t.queue_dir.empty())
        t.queue_dir = spool_root + "/" + (file ? "file-" : "webhook-") + t.name;
      t.queue_size = ParseSize(f, "queue_size", t.queue_size);
      t.batch_size = ParseSize(f, "batch_size", t.batch_size);
      const std::string mode = Field(f, "mode");
      if (mode == "best-effort") {
        t.mode = FullMode::kBestEffort;
      } else if (!mode.empty() && mode != "strict") {
        errors.push_back(t.Id() + ": unknown mode '" + mode + "', using strict");
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

AuditLog::AuditLog(env::Env& env, env::AuditPeers& peers, AuditLogOptions options)
    : env_(env), peers_(peers), options_(std::move(options)) {}

AuditLog::~AuditLog() {
  std::lock_guard lock(mu_);
  for (auto& [id, t] : targets_) {
    std::lock_guard target_lock(t->mu);
    t->stopped = true;
    if (t->retry != 0) env_.scheduler().Cancel(t->retry);
  }
}

AuditLog::Ticket::~Ticket() {
  for (auto& t : reserved_) t->spool->Unreserve();
}

std::vector<std::string> AuditLog::Configure(const std::vector<TargetConfig>& targets) {
  std::vector<std::string> errors;
  std::map<std::string, std::shared_ptr<Target>> next;
  std::vector<std::shared_ptr<Target>> to_kick;
  std::lock_guard lock(mu_);
  for (const TargetConfig& config : targets) {
    const std::string id = config.Id();
    auto old = targets_.find(id);
    std::shared_ptr<Target> t;
    std::shared_ptr<Target> moved_from;  // The same target under its old queue_dir.
    if (old != targets_.end()) {
      std::lock_guard target_lock(old->second->mu);
      if (old->second->config.queue_dir == config.queue_dir) {
        t = old->second;
      } else {
        moved_from = old->second;
      }
    }
    std::shared_ptr<env::AuditSink> sink;
    bool same_sink = false;
    if (t != nullptr) {
      std::lock_guard target_lock(t->mu);
      same_sink = SameSink(t->config, config);
    }
    if (!same_sink) {
      auto opened = config.kind == TargetConfig::Kind::kFile ? peers_.OpenFile(config.file)
                                                             : peers_.OpenWebhook(config.webhook);
      if (!opened.has_value()) {
        errors.push_back(id + ": " + opened.error().message());
        // Keep delivering with the old settings (and the old queue_dir).
        if (t != nullptr || moved_from != nullptr) next.emplace(id, t ? t : moved_from);
        continue;
      }
      sink = std::move(opened).value();
    }
    if (t == nullptr) {
      auto dir = peers_.OpenSpoolDir(config.queue_dir);
      if (!dir.has_value()) {
        errors.push_back(id + ": spool " + config.queue_dir + ": " + dir.error().message());
        if (moved_from != nullptr) next.emplace(id, moved_from);  // Keep the old queue_dir.
        continue;
      }
      SpoolOptions spool_options;
      spool_options.queue_size = config.queue_size;
      spool_options.min_free_bytes = config.min_free_bytes;
      auto spool = Spool::Open(std::move(dir).value(), spool_options);
      if (!spool.has_value()) {
        errors.push_back(id + ": spool " + config.queue_dir + ": " + spool.error().message());
        if (moved_from != nullptr) next.emplace(id, moved_from);
        continue;
      }
      t = std::make_shared<Target>(env_, options_);
      t->id = id;
      t->spool = std::move(spool).value();
      const SpoolRecovery& r = t->spool->recovery();
      env_.log().Info("audit", "target opened",
                      {{"target", id},
                       {"queued", std::to_string(r.records)},
                       {"torn_bytes", std::to_string(r.torn_bytes)},
                       {"cursor", std::to_string(r.cursor)}});
      if (moved_from != nullptr) {
        // A new queue_dir: what the old spool still holds goes first into the
        // new one, and entries late to the old one follow (ForwardChain).
        std::lock_guard target_lock(moved_from->mu);
        moved_from->successor = t;
      } else {
        AdoptPreviousSpool(id, config.queue_dir, *t->spool, errors);
      }
    }
    if (moved_from != nullptr) {
      (void)ForwardChain(moved_from);
      env_.log().Info("audit", "target moved to a new queue_dir",
                      {{"target", id}, {"queue_dir", config.queue_dir}});
    }
    {
      std::lock_guard target_lock(t->mu);
      t->config = config;
      if (sink != nullptr) t->sink = std::move(sink);
      t->stopped = false;
    }
    t->strict.store(config.mode == FullMode::kStrict);
    t->batch_size.store(std::max<std::size_t>(config.batch_size, 1));
    t->spool->set_queue_size(config.queue_size);
    next.emplace(id, t);
    to_kick.push_back(t);
  }
  for (auto& [id, t] : targets_) {
    if (next.count(id) != 0 && next[id] == t) continue;
    std::lock_guard target_lock(t->mu);
    t->stopped = true;
    if (t->retry != 0) env_.scheduler().Cancel(t->retry);
    env_.log().Info("audit", "target removed", {{"target", id}});
  }
  targets_ = std::move(next);
  SaveQueueDirs();
  for (auto& t : to_kick) Kick(t);
  return errors;
}

void AuditLog::AdoptPreviousSpool(const std::string& id, const std::string& queue_dir, Spool& spool,
                                  std::vector<std::string>& errors) {
  if (options_.state_dir.empty()) return;
  auto state = peers_.OpenSpoolDir(options_.state_dir);
  if (!state.has_value()) return;
  auto names = (*state)->List();
  if (!names.has_value() ||
      std::find(names->begin(), names->end(), kQueueDirsFile) == names->end()) {
    return;
  }
  auto text = (*state)->ReadAll(kQueueDirsFile);
  if (!text.has_value()) return;
  const auto dirs = ParseQueueDirs(*text);
  auto it = dirs.find(id);
  if (it == dirs.end() || it->second == queue_dir) return;
  // The queue_dir changed while the appliance was down: the old spool's
  // undelivered entries move into the new one before anything new is added.
  auto dir = peers_.OpenSpoolDir(it->second);
  base::Status moved = dir.has_value() ? base::Status(base::Ok()) : base::Status(dir.error());
  if (moved.has_value()) {
    auto old = Spool::Open(std::move(dir).value(), SpoolOptions{});
    moved = old.has_value() ? MoveSpool(**old, spool) : base::Status(old.error());
  }
  if (!moved.has_value()) {
    errors.push_back(id + ": entries left in the old queue_dir " + it->second + ": " +
                     moved.error().message());
    return;
  }
  env_.log().Info("audit", "entries moved from the old queue_dir",
                  {{"target", id}, {"from", it->second}, {"to", queue_dir}});
}

void AuditLog::SaveQueueDirs() {
  if (options_.state_dir.empty()) return;
  std::string text;
  for (const auto& [id, t] : targets_) {
    std::lock_guard lock(t->mu);
    text += id + "\t" + t->config.queue_dir + "\n";
  }
  if (text == saved_queue_dirs_) return;
  auto state = peers_.OpenSpoolDir(options_.state_dir);
  base::Status saved = state.has_value()
                           ? (*state)->WriteAtomic(kQueueDirsFile, base::AsBytes(text))
                           : base::Status(state.error());
  if (!saved.has_value()) {
    env_.log().Warn("audit", "cannot record the targets' queue_dirs",
                    {{"error", saved.error().message()}});
    return;
  }
  saved_queue_dirs_ = std::move(text);
}

std::vector<std::shared_ptr<AuditLog::Target>> AuditLog::Current() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Target>> out;
  out.reserve(targets_.size());
  for (const auto& [id, t] : targets_) out.push_back(t);
  return out;
}

void AuditLog::Kick(const std::shared_ptr<Target>& t) {
  {
    std::lock_guard lock(t->mu);
    if (t->busy || t->stopped) return;
    t->busy = true;
  }
  std::weak_ptr<Target> weak = t;
  env_.scheduler().Post([weak] {
    if (auto target = weak.lock()) DeliverNext(target);
  });
}

base::Result<AuditLog::Ticket> AuditLog::Begin() {
  Ticket ticket;
  for (auto& t : Current()) {
    base::Status reserved = t->spool->Reserve();
    if (reserved.has_value()) {
      ticket.reserved_.push_back(std::move(t));
    } else if (t->strict.load()) {
      t->refused.fetch_add(1);
      return reserved.error();  // The ticket releases what it holds.
    } else {
      t->dropped.fetch_add(1);
    }
  }
  return ticket;
}

base::Status AuditLog::Commit(Ticket& ticket, std::string entry) {
  std::vector<std::shared_ptr<Target>> targets = std::move(ticket.reserved_);
  ticket.reserved_.clear();
  base::Status result = base::Ok();
  if (options_.recent != nullptr) options_.recent->Add(entry);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto& t = targets[i];
    auto appended = t->spool->Append(i + 1 == targets.size() ? std::move(entry) : entry, true);
    if (appended.has_value()) {
      Kick(ForwardChain(t));
    } else if (t->strict.load()) {
      result = appended.error();
    } else {
      t->dropped.fetch_add(1);
    }
  }
  return result;
}

base::Status AuditLog::Record(std::string entry) {
  auto targets = Current();
  base::Status result = base::Ok();
  if (options_.recent != nullptr) options_.recent->Add(entry);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto& t = targets[i];
    auto appended = t->spool->Append(i + 1 == targets.size() ? std::move(entry) : entry, false);
    if (appended.has_value()) {
      Kick(ForwardChain(t));
    } else if (t->strict.load()) {
      result = appended.error();
    } else {
      t->dropped.fetch_add(1);
    }
  }
  return result;
}

std::vector<TargetStats> AuditLog::Stats() const {
  std::vector<TargetStats> out;
  for (const auto& t : Current()) {
    TargetStats s;
    s.id = t->id;
    s.delivered = t->delivered.load();
    s.failed = t->failed.load();
    s.dropped = t->dropped.load();
    s.refused = t->refused.load();
    s.queued = t->spool->queued();
    s.latency_count = t->latency_count.load();
    s.latency_sum = std::chrono::nanoseconds(t->latency_sum_ns.load());
    {
      std::lock_guard lock(t->mu);
      s.last_error = t->last_error;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace coffer::core::audit
