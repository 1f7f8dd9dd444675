#pragma once
// The production bindings of the audit seams (coffer/env/audit_sink.h):
// spool folders as POSIX directories (append with write(2), fdatasync), the
// file target as JSON lines with size-based rotation, and webhooks as
// HTTP/1.1 POSTs over Boost.Beast (keep-alive; TLS with a CA file, client
// certificate for mTLS, Bearer token, a timeout on every step).

#include <memory>

#include "coffer/env/audit_sink.h"

namespace boost::asio {
class io_context;
}

namespace coffer::posix {

// Thread-safe. The io_context runs the webhook I/O and must outlive every
// sink opened here.
class PosixAuditPeers final : public env::AuditPeers {
 public:
  explicit PosixAuditPeers(boost::asio::io_context& io) : io_(io) {}

  // Errors: kInvalidArgument for an endpoint that is not http(s)://host[:port][/path],
  // kFailedPrecondition for a CA or client certificate file that cannot be loaded.
  base::Result<std::unique_ptr<env::AuditSink>> OpenWebhook(
      const env::WebhookTargetConfig& config) override;
  base::Result<std::unique_ptr<env::AuditSink>> OpenFile(
      const env::FileTargetConfig& config) override;
  base::Result<std::unique_ptr<env::SpoolDir>> OpenSpoolDir(std::string_view path) override;

 private:
  boost::asio::io_context& io_;
};

// The file target's writer, also used by `coffer audit tail` tests: appends
// `lines` to `path`, fdatasyncs, and rotates (path -> path.1 -> ...) once the
// file reaches `rotate_size_bytes`.
base::Status AppendJsonLines(const env::FileTargetConfig& config, std::string_view lines);

}  // namespace coffer::posix
