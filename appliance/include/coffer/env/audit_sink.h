#pragma once
// The audit seams: where the audit subsystem (coffer::core audit) keeps its
// durable spools and where it delivers entries. The core never opens a file
// or a socket; production binds these to POSIX files and an HTTP(S) webhook
// client (coffer/posix/audit_peers.h), tests and the simulator to in-memory
// fakes that can tear writes and fail.
//
// Error codes: kResourceExhausted (disk full), kUnavailable (an I/O error or
// a target that may come back), kFailedPrecondition (misconfigured: a CA
// file that cannot be read, an endpoint that cannot be parsed), kNotFound.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"
#include "coffer/base/secret.h"

namespace coffer::env {

// One append-only file of a spool. Not thread-safe: one writer at a time.
class AppendFile {
 public:
  virtual ~AppendFile() = default;
  // Appends `data` at the end of the file (no durability promise yet).
  virtual base::Status Append(std::span<const std::byte> data) = 0;
  // Makes every byte appended so far durable (fdatasync).
  virtual base::Status Sync() = 0;
};

// A folder of spool files (flat: names have no '/'). Thread-safe for
// distinct names.
class SpoolDir {
 public:
  virtual ~SpoolDir() = default;
  // The file names in the folder, sorted.
  virtual base::Result<std::vector<std::string>> List() = 0;
  virtual base::Result<std::string> ReadAll(std::string_view name) = 0;
  // Creates `name` empty (replacing a leftover) and opens it for appending;
  // the folder entry is durable when this returns.
  virtual base::Result<std::unique_ptr<AppendFile>> Create(std::string_view name) = 0;
  // Replaces `name` atomically and durably (write, fsync, rename, fsync dir).
  virtual base::Status WriteAtomic(std::string_view name, std::span<const std::byte> data) = 0;
  virtual base::Status Remove(std::string_view name) = 0;
  // Bytes still free on the file system holding the folder.
  virtual base::Result<std::uint64_t> FreeBytes() = 0;
};

// One delivery: entries in spool order, as JSON lines.
struct AuditBatch {
  std::vector<std::string> request_ids;  // The idempotency keys, in order.
  std::string body;                      // One JSON document per line, '\n'-terminated.
};

// A delivery target. Deliver() is called with at most one batch in flight;
// `done` is called exactly once, on any thread, possibly after the caller
// dropped the sink (implementations keep their state alive until then).
// An error means "not delivered, retry": the caller retries the same batch.
class AuditSink {
 public:
  using Done = std::function<void(base::Status)>;
  virtual ~AuditSink() = default;
  virtual void Deliver(AuditBatch batch, Done done) = 0;
};

struct WebhookTargetConfig {
  std::string name;
  std::string endpoint;          // http://host[:port]/path or https://...
  base::Secret auth_token;       // Sent as "Authorization: Bearer ..." when not empty.
  std::string client_cert_file;  // PEM, for mTLS (with client_key_file).
  std::string client_key_file;
  std::string ca_file;  // PEM of the CAs for an https endpoint; empty: the system's.
  std::chrono::milliseconds timeout{5000};
};

struct FileTargetConfig {
  std::string name;
  std::string path;                                    // JSON lines.
  std::uint64_t rotate_size_bytes = 64 * 1024 * 1024;  // Rotate when the file reaches it.
  unsigned max_files = 5;                              // path, path.1 ... path.(max_files-1).
};

// Opens targets and spool folders. Thread-safe.
class AuditPeers {
 public:
  virtual ~AuditPeers() = default;
  virtual base::Result<std::unique_ptr<AuditSink>> OpenWebhook(
      const WebhookTargetConfig& config) = 0;
  virtual base::Result<std::unique_ptr<AuditSink>> OpenFile(const FileTargetConfig& config) = 0;
  // Opens (creating) a spool folder.
  virtual base::Result<std::unique_ptr<SpoolDir>> OpenSpoolDir(std::string_view path) = 0;
};

}  // namespace coffer::env
