#include "coffer/core/audit/audit_handler.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "coffer/base/bytes.h"
#include "coffer/base/planted.h"
#include "coffer/core/audit/entry.h"

namespace coffer::core::audit {
namespace {

// Counts the request body bytes the handler reads.
class CountingReader final : public BodyReader {
 public:
  explicit CountingReader(BodyReader& inner) : inner_(inner) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    auto n = inner_.Read(out);
    if (n.has_value()) bytes_ += *n;
    return n;
  }
  std::optional<std::uint64_t> content_length() const override { return inner_.content_length(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  BodyReader& inner_;
  std::uint64_t bytes_ = 0;
};

// Measures the response and holds back what would let the client see it
// complete (see audit_handler.h) until Release().
class HoldingWriter final : public ResponseWriter {
 public:
  HoldingWriter(ResponseWriter& inner, const base::Clock& clock, base::MonoTime start, bool head)
      : inner_(inner), clock_(clock), start_(start), head_(head) {}

  base::Status Start(unsigned status, const HeaderList& headers,
                     std::optional<std::uint64_t> content_length) override {
    if (started_) return base::FailedPrecondition("response already started");
    started_ = true;
    status_ = status;
    headers_ = headers;
    content_length_ = content_length;
    first_byte_ = clock_.Monotonic() - start_;
    return base::Ok();
  }

  base::Status Write(std::span<const std::byte> data) override {
    if (!started_) return base::FailedPrecondition("response not started");
    if (data.empty()) return base::Ok();
    if (tx_ == 0) first_byte_ = clock_.Monotonic() - start_;
    tx_ += data.size();
    // A HEAD response is complete with its head: hold everything.
    if (head_) return base::Ok();
    COFFER_RETURN_IF_ERROR(ForwardStart());
    if (content_length_.has_value() && tx_ >= *content_length_) {
      // The final piece: the client could see the response complete.
      held_.assign(reinterpret_cast<const char*>(data.data()), data.size());
      holding_ = true;
      return base::Ok();
    }
    return inner_.Write(data);
  }

  base::Status Finish() override {
    finish_requested_ = true;
    return base::Ok();
  }
  bool started() const override { return started_; }

  // Sends what was held back.
  void Release() {
    if (!started_) return;
    if (!ForwardStart().has_value()) return;
    if (holding_ && !inner_.Write(base::AsBytes(held_)).has_value()) return;
    if (finish_requested_) (void)inner_.Finish();
  }

  unsigned status() const { return status_; }
  const HeaderList& headers() const { return headers_; }
  std::uint64_t tx() const { return tx_; }
  std::chrono::nanoseconds first_byte() const { return first_byte_; }

 private:
  base::Status ForwardStart() {
    if (start_sent_) return base::Ok();
    start_sent_ = true;
    return inner_.Start(status_, headers_, content_length_);
  }

  ResponseWriter& inner_;
  const base::Clock& clock_;
  const base::MonoTime start_;
  const bool head_;
  bool started_ = false;
  bool start_sent_ = false;
  bool holding_ = false;
  bool finish_requested_ = false;
  unsigned status_ = 0;
  HeaderList headers_;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t tx_ = 0;
  std::string held_;
  std::chrono::nanoseconds first_byte_{0};
};

// Liveness and readiness probes are polled by load balancers every few
// seconds and change nothing: they are counted, not audited.
bool IsHealthProbe(std::string_view target) {
  return target.starts_with("/health/") || target.starts_with("/minio/health/");
}

}  // namespace

void AuditHandler::Refuse(const HttpRequest& request, ResponseWriter& response,
                          std::string_view why) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>ServiceUnavailable</Code>"
      "<Message>The audit trail cannot record this request; please retry later.</Message>"
      "<RequestId>" +
      request.request_id + "</RequestId></Error>";
  env_.log().Log(env::LogLevel::kWarn, "audit", "request refused: audit spool full",
                 {{"reason", why}}, request.request_id);
  const HeaderList headers = {{"content-type", "application/xml"},
                              {"x-amz-request-id", request.request_id},
                              {"retry-after", "1"},
                              {"server", "Coffer"}};
  if (response.Start(503, headers, xml.size()).has_value() &&
      response.Write(base::AsBytes(xml)).has_value()) {
    (void)response.Finish();
  }
}

void AuditHandler::Serve(const HttpRequest& request, BodyReader& body, ResponseWriter& response) {
  const base::MonoTime start = env_.clock().Monotonic();
  if (IsHealthProbe(request.target)) {
    inner_.Serve(request, body, response);
    metrics_.Record("Health", 0, env_.clock().Monotonic() - start);
    return;
  }
  const base::WallTime now = env_.clock().Now();
  auto ticket = log_.Begin();
  if (!ticket.has_value()) {
    // SECURITY: strict mode. Nothing has run yet, so nothing changed.
    Refuse(request, response, ticket.error().message());
    metrics_.Record("AuditRefused", 503, env_.clock().Monotonic() - start);
    return;
  }
  RequestFacts facts;
  HttpRequest audited = request;
  audited.facts = &facts;
  CountingReader reader(body);
  HoldingWriter writer(response, env_.clock(), start, request.method == "HEAD");
  inner_.Serve(audited, reader, writer);

  RequestOutcome outcome;
  outcome.status = writer.status();
  outcome.response_headers = writer.headers();
  outcome.rx_bytes = reader.bytes();
  outcome.tx_bytes = writer.tx();
  outcome.time_to_first_byte = writer.first_byte();
  outcome.time_to_response = env_.clock().Monotonic() - start;
  std::string entry = BuildRequestEntry(log_.deployment_id(), now, request, facts, outcome);
  if (base::Planted(base::PlantedBug::kAckBeforeAuditDurable)) {
    writer.Release();  // The planted bug: acknowledged first, recorded after.
    (void)log_.Commit(*ticket, std::move(entry));
    return;
  }
  base::Status durable = log_.Commit(*ticket, std::move(entry));
  if (durable.has_value()) {
    writer.Release();
  } else {
    // SECURITY: the record is not durable in a strict target; withhold the
    // rest of the response so the client never sees it succeed.
    env_.log().Log(env::LogLevel::kError, "audit", "entry not durable; response withheld",
                   {{"error", durable.error().message()}}, request.request_id);
  }
  metrics_.Record(facts.api.empty() ? "Unknown" : facts.api, outcome.status,
                  outcome.time_to_response);
}

}  // namespace coffer::core::audit
