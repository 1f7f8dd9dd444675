#include "coffer/core/http.h"

#include "coffer/base/bytes.h"

namespace coffer::core {

void BufferedHandler::Serve(const HttpRequest& request, BodyReader& body,
                            ResponseWriter& response) {
  HttpRequest buffered = request;
  // Health checks and other small endpoints never need a body; read only
  // when one was announced, so a client waiting on 100-continue is not asked
  // to send one.
  const auto length = body.content_length();
  const bool has_body = (length.has_value() && *length > 0) ||
                        request.Header("transfer-encoding").find("chunked") != std::string::npos;
  if (has_body) {
    char chunk[16 * 1024];
    for (;;) {
      auto n = body.Read(std::as_writable_bytes(std::span(chunk)));
      if (!n.has_value()) return;  // The shell closes the connection.
      if (*n == 0) break;
      if (buffered.body.size() + *n > body_limit_bytes_) {
        HeaderList headers = {{"content-type", "application/xml"}};
        const std::string xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>EntityTooLarge</Code>"
            "<Message>Your proposed upload exceeds the maximum allowed size.</Message>"
            "<RequestId>" +
            request.request_id + "</RequestId></Error>";
        if (response.Start(413, headers, xml.size()).has_value() &&
            response.Write(base::AsBytes(xml)).has_value()) {
          (void)response.Finish();
        }
        return;
      }
      buffered.body.append(chunk, *n);
    }
  }
  HttpResponse answer = inner_.Handle(buffered);
  if (!response.Start(answer.status, answer.headers, answer.body.size()).has_value()) return;
  if (!answer.body.empty() && !response.Write(base::AsBytes(answer.body)).has_value()) return;
  (void)response.Finish();
}

}  // namespace coffer::core
