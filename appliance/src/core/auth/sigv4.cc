#include "coffer/core/auth/sigv4.h"

#include <array>
#include <charconv>

#include "coffer/core/auth/crypto.h"

namespace coffer::core::auth {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Builds a time from calendar fields; nullopt when any field is out of range.
std::optional<base::WallTime> MakeTime(int year, int month, int day, int hour, int minute,
                                       int second) {
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  // WallTime counts nanoseconds in 64 bits (years 1678..2261); SigV4 dates
  // outside 1970..2200 are nonsense anyway, and refusing them keeps every
  // later `time + expires` and skew computation far from overflow.
  if (year < 1970 || year > 2200) return std::nullopt;
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto when = std::chrono::sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second);
  return base::WallTime(when);
}

bool ValidScopeDate(std::string_view date) {
  if (date.size() != 8 || !AllDigits(date)) return false;
  return MakeTime(Number(date.substr(0, 4)), Number(date.substr(4, 2)), Number(date.substr(6, 2)),
                  0, 0, 0)
      .has_value();
}

bool ValidHeaderNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
         c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
}

// One parsed "Key=Value" component of the Authorization header.
struct Components {
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> signature;
};

base::Error Malformed(const std::string& detail) {
  return MakeS3Error(S3ErrorCode::kAuthorizationHeaderMalformed, detail);
}

base::Result<Components> SplitComponents(std::string_view rest) {
  Components out;
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find(',', start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view part = Trim(rest.substr(start, end - start));
    start = end + 1;
    if (part.empty()) return Malformed("the authorization header has an empty component");
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Malformed("authorization component '" + std::string(part.substr(0, 32)) +
                       "' is not of the form Key=Value");
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Credential") slot = &out.credential;
    if (key == "SignedHeaders") slot = &out.signed_headers;
    if (key == "Signature") slot = &out.signature;
    if (slot == nullptr) {
      return Malformed("unknown authorization component '" + std::string(key.substr(0, 32)) + "'");
    }
    if (slot->has_value()) {
      return Malformed("duplicated authorization component '" + std::string(key) + "'");
    }
    *slot = value;
  }
  return out;
}

}  // namespace

base::Result<CredentialScopeParts> ParseCredential(std::string_view value, S3ErrorCode code) {
  // The access key is everything before the last four '/'-separated fields,
  // so keys that contain '/' still parse.
  std::array<std::size_t, 4> slashes{};
  std::size_t found = 0;
  for (std::size_t i = value.size(); i > 0 && found < 4; --i) {
    if (value[i - 1] == '/') slashes[found++] = i - 1;
  }
  if (found < 4) {
    return MakeS3Error(code, "the Credential must be accesskey/date/region/service/aws4_request");
  }
  CredentialScopeParts parts;
  parts.access_key = std::string(value.substr(0, slashes[3]));
  parts.date = std::string(value.substr(slashes[3] + 1, slashes[2] - slashes[3] - 1));
  parts.region = std::string(value.substr(slashes[2] + 1, slashes[1] - slashes[2] - 1));
  parts.service = std::string(value.substr(slashes[1] + 1, slashes[0] - slashes[1] - 1));
  const std::string_view terminator = value.substr(slashes[0] + 1);
  if (parts.access_key.empty()) return MakeS3Error(code, "the Credential has no access key");
  if (!ValidScopeDate(parts.date)) {
    return MakeS3Error(
        code, "invalid credential date '" + parts.date.substr(0, 16) + "': expected yyyymmdd");
  }
  if (parts.region.empty()) return MakeS3Error(code, "the Credential has an empty region");
  if (parts.service.empty()) return MakeS3Error(code, "the Credential has an empty service");
  if (terminator != "aws4_request") {
    return MakeS3Error(code, "the Credential must end with 'aws4_request'");
  }
  return parts;
}

base::Result<std::vector<std::string>> ParseSignedHeaders(std::string_view value,
                                                          S3ErrorCode code) {
  std::vector<std::string> names;
  if (value.empty()) return MakeS3Error(code, "SignedHeaders is empty");
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(';', start);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view name = value.substr(start, end - start);
    start = end + 1;
    if (name.empty()) return MakeS3Error(code, "SignedHeaders has an empty header name");
    for (char c : name) {
      if (!ValidHeaderNameChar(c)) {
        return MakeS3Error(code, "SignedHeaders must list lower-case header names");
      }
    }
    for (const std::string& seen : names) {
      if (seen == name) {
        return MakeS3Error(code, "SignedHeaders lists '" + seen + "' twice");
      }
    }
    names.emplace_back(name);
  }
  return names;
}

base::Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value) {
  const std::size_t space = value.find(' ');
  const std::string_view algorithm = value.substr(0, space);
  if (algorithm != kSigV4Algorithm) {
    return Malformed("unsupported authorization algorithm '" +
                     std::string(algorithm.substr(0, 32)) + "'; use AWS4-HMAC-SHA256");
  }
  if (space == std::string_view::npos) {
    return Malformed("the authorization header has no Credential, SignedHeaders or Signature");
  }
  COFFER_ASSIGN_OR_RETURN(Components components, SplitComponents(value.substr(space + 1)));
  if (!components.credential) return Malformed("the authorization header has no Credential");
  if (!components.signed_headers) {
    return Malformed("the authorization header has no SignedHeaders");
  }
  if (!components.signature) return Malformed("the authorization header has no Signature");
  AuthorizationHeader out;
  const S3ErrorCode code = S3ErrorCode::kAuthorizationHeaderMalformed;
  COFFER_ASSIGN_OR_RETURN(out.credential, ParseCredential(*components.credential, code));
  COFFER_ASSIGN_OR_RETURN(out.signed_headers, ParseSignedHeaders(*components.signed_headers, code));
  if (!IsLowerHex(*components.signature, 64)) {
    return Malformed("the Signature must be 64 lower-case hex digits");
  }
  out.signature = std::string(*components.signature);
  return out;
}

bool HasPresignedParameters(const QueryParams& params) {
  for (const auto& [name, value] : params) {
    if (name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature" ||
        name == "X-Amz-SignedHeaders" || name == "X-Amz-Expires") {
      return true;
    }
  }
  return false;
}

namespace {

struct PresignedFields {
  std::optional<std::string_view> algorithm, credential, date, expires, signed_headers, signature,
      token, content_sha256;
};

base::Error QueryError(const std::string& detail) {
  return MakeS3Error(S3ErrorCode::kAuthorizationQueryParametersError, detail);
}

base::Result<PresignedFields> CollectPresignedFields(const QueryParams& params) {
  PresignedFields f;
  for (const auto& [name, value] : params) {
    std::optional<std::string_view>* slot = nullptr;
    if (name == "X-Amz-Algorithm") slot = &f.algorithm;
    if (name == "X-Amz-Credential") slot = &f.credential;
    if (name == "X-Amz-Date") slot = &f.date;
    if (name == "X-Amz-Expires") slot = &f.expires;
    if (name == "X-Amz-SignedHeaders") slot = &f.signed_headers;
    if (name == "X-Amz-Signature") slot = &f.signature;
    if (name == "X-Amz-Security-Token") slot = &f.token;
    if (name == "X-Amz-Content-Sha256") slot = &f.content_sha256;
    if (slot == nullptr) continue;
    // SECURITY: a repeated parameter could be read one way here and another
    // way by the canonicaliser or the S3 layer; refuse it outright.
    if (slot->has_value()) return QueryError("the query parameter " + name + " is repeated");
    *slot = value;
  }
  if (!f.algorithm || !f.credential || !f.date || !f.expires || !f.signed_headers || !f.signature) {
    return QueryError(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  return f;
}

base::Result<seconds> ParseExpires(std::string_view text) {
  if (!AllDigits(text) || text.size() > 12) {
    return QueryError("X-Amz-Expires should be a number");
  }
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < 1) return QueryError("X-Amz-Expires must be at least 1 second");
  if (value > kPresignedExpiresMax.count()) {
    return QueryError("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  return seconds(value);
}

}  // namespace

base::Result<PresignedQuery> ParsePresignedQuery(const QueryParams& params) {
  COFFER_ASSIGN_OR_RETURN(PresignedFields f, CollectPresignedFields(params));
  if (*f.algorithm != kSigV4Algorithm) {
    return QueryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  PresignedQuery out;
  const S3ErrorCode code = S3ErrorCode::kAuthorizationQueryParametersError;
  COFFER_ASSIGN_OR_RETURN(out.credential, ParseCredential(*f.credential, code));
  base::Result<base::WallTime> time = ParseAmzDate(*f.date);
  if (!time.has_value()) {
    return QueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  }
  out.time = *time;
  out.amz_date = std::string(*f.date);
  COFFER_ASSIGN_OR_RETURN(out.expires, ParseExpires(*f.expires));
  COFFER_ASSIGN_OR_RETURN(out.signed_headers, ParseSignedHeaders(*f.signed_headers, code));
  if (!IsLowerHex(*f.signature, 64)) {
    return QueryError("X-Amz-Signature must be 64 lower-case hex digits");
  }
  out.signature = std::string(*f.signature);
  if (f.token) out.security_token = std::string(*f.token);
  if (f.content_sha256) out.content_sha256 = std::string(*f.content_sha256);
  return out;
}

base::Result<base::WallTime> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z' || !AllDigits(text.substr(0, 8)) ||
      !AllDigits(text.substr(9, 6))) {
    return base::InvalidArgument("the date is not of the form yyyymmddThhmmssZ");
  }
  const std::optional<base::WallTime> t =
      MakeTime(Number(text.substr(0, 4)), Number(text.substr(4, 2)), Number(text.substr(6, 2)),
               Number(text.substr(9, 2)), Number(text.substr(11, 2)), Number(text.substr(13, 2)));
  if (!t) return base::InvalidArgument("the date has an out-of-range field");
  return *t;
}

base::Result<base::WallTime> ParseHttpDate(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() == 16) return ParseAmzDate(text);
  // Legacy clients (Signature V2 era) write the zone as "+0000"; same instant.
  if (text.size() == 31 && text.substr(25) == " +0000") {
    return ParseHttpDate(std::string(text.substr(0, 25)) + " GMT");
  }
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return base::InvalidArgument("the date is not an IMF-fixdate");
  }
  int month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  const std::string_view day = text.substr(5, 2), year = text.substr(12, 4),
                         hour = text.substr(17, 2), minute = text.substr(20, 2),
                         second = text.substr(23, 2);
  if (month == 0 || !AllDigits(day) || !AllDigits(year) || !AllDigits(hour) || !AllDigits(minute) ||
      !AllDigits(second)) {
    return base::InvalidArgument("the date is not an IMF-fixdate");
  }
  const std::optional<base::WallTime> t =
      MakeTime(Number(year), month, Number(day), Number(hour), Number(minute), Number(second));
  if (!t) return base::InvalidArgument("the date has an out-of-range field");
  return *t;
}

std::string FormatAmzDate(base::WallTime time) {
  const auto day = std::chrono::floor<days>(time);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss<seconds> hms(std::chrono::floor<seconds>(time - day));
  char buf[17];
  const int year = static_cast<int>(ymd.year());
  const unsigned month = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  const long h = hms.hours().count(), m = hms.minutes().count(), s = hms.seconds().count();
  // Hand-rolled rather than snprintf so the format cannot depend on locale.
  auto put = [&buf](int at, long value, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, year, 4);
  put(4, month, 2);
  put(6, d, 2);
  buf[8] = 'T';
  put(9, h, 2);
  put(11, m, 2);
  put(13, s, 2);
  buf[15] = 'Z';
  buf[16] = '\0';
  return std::string(buf, 16);
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

base::Result<PayloadSpec> ParseContentSha256(std::string_view value) {
  PayloadSpec spec;
  spec.value = std::string(value);
  if (value == kUnsignedPayload) {
    spec.mode = PayloadMode::kUnsigned;
  } else if (value == kStreamingSignedPayload) {
    spec.mode = PayloadMode::kStreamingSigned;
  } else if (value == kStreamingSignedPayloadTrailer) {
    spec.mode = PayloadMode::kStreamingSignedTrailer;
  } else if (value == kStreamingUnsignedPayloadTrailer) {
    spec.mode = PayloadMode::kStreamingUnsignedTrailer;
  } else if (value.size() == 64 && IsLowerHex(ToLowerAscii(value), 64)) {
    spec.mode = PayloadMode::kSignedSha256;
    spec.sha256_hex = ToLowerAscii(value);
  } else {
    return MakeS3Error(S3ErrorCode::kInvalidArgument,
                       "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER or a hex SHA-256");
  }
  return spec;
}

}  // namespace coffer::core::auth
