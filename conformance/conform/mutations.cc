#include "mutations.h"

#include <algorithm>

namespace coffer::conform {
namespace {

// Changes the character at `where` (modulo the length) to a different one of the same kind,
// so the result stays well-formed where that matters (hex stays hex, digits stay digits).
std::string ChangeChar(std::string s, unsigned where) {
  if (s.empty()) return "x";
  const std::size_t at = where % s.size();
  const char c = s[at];
  if (c >= '0' && c <= '9') {
    s[at] = c == '9' ? '0' : static_cast<char>(c + 1);
  } else if (c >= 'a' && c <= 'f') {
    s[at] = c == 'f' ? 'a' : static_cast<char>(c + 1);
  } else if (c >= 'a' && c <= 'z') {
    s[at] = c == 'z' ? 'a' : static_cast<char>(c + 1);
  } else if (c >= 'A' && c <= 'Z') {
    s[at] = c == 'Z' ? 'A' : static_cast<char>(c + 1);
  } else {
    s[at] = 'x';
  }
  return s;
}

std::string* FindHeader(Prepared& p, const std::string& name) {
  for (auto& [k, v] : p.headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::optional<std::string> MutateAuthorization(Prepared& p, const MutationSpec& spec) {
  std::string* auth = FindHeader(p, "authorization");
  if (auth == nullptr) return std::nullopt;
  AuthorizationParts parts = ParseAuthorization(*auth);
  if (parts.signature.empty()) return std::nullopt;
  std::string what;
  switch (spec.kind) {
    case Mutation::kScopeDate:
      parts.date = ChangeChar(parts.date, 7 - spec.where % 2);  // The day: still a date.
      what = "credential scope date -> " + parts.date;
      break;
    case Mutation::kScopeRegion:
      parts.region = parts.region == "us-east-1" ? "eu-west-3" : "us-east-1";
      what = "credential scope region -> " + parts.region;
      break;
    case Mutation::kScopeService:
      parts.service = parts.service == "s3" ? "sts" : "s3";
      what = "credential scope service -> " + parts.service;
      break;
    case Mutation::kAccessKey:
      parts.access_key = ChangeChar(parts.access_key, spec.where);
      what = "access key changed";
      break;
    case Mutation::kSignature:
      parts.signature = ChangeChar(parts.signature, spec.where);
      what = "signature digit " + std::to_string(spec.where % 64) + " changed";
      break;
    case Mutation::kSignedHeaderList: {
      if (parts.signed_headers.size() < 2) return std::nullopt;
      const std::size_t i = spec.which % parts.signed_headers.size();
      what = "'" + parts.signed_headers[i] + "' dropped from SignedHeaders";
      parts.signed_headers.erase(parts.signed_headers.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    default:
      return std::nullopt;
  }
  *auth = FormatAuthorization(parts);
  return what;
}

// Data chunks are every chunk but the final zero-length one.
std::optional<std::string> MutateChunks(Prepared& p, const MutationSpec& spec) {
  if (p.chunks.size() < 2) return std::nullopt;
  const std::size_t data_chunks = p.chunks.size() - 1;
  const std::size_t i = spec.which % data_chunks;
  std::string what;
  switch (spec.kind) {
    case Mutation::kChunkData: {
      std::string& c = p.chunks[i];
      const std::size_t start = c.find("\r\n") + 2;
      const std::size_t len = c.size() - start - 2;
      if (len == 0) return std::nullopt;
      const std::size_t at = start + spec.where % len;
      c[at] = static_cast<char>(c[at] ^ 0x01);
      what = "byte " + std::to_string(spec.where % len) + " of chunk " + std::to_string(i);
      break;
    }
    case Mutation::kChunkSignature: {
      std::string& c = p.chunks[i];
      const std::size_t sig = c.find("chunk-signature=") + 16;
      c = c.substr(0, sig) + ChangeChar(c.substr(sig, 64), spec.where) + c.substr(sig + 64);
      what = "signature of chunk " + std::to_string(i);
      break;
    }
    case Mutation::kChunkDrop:
      p.chunks.erase(p.chunks.begin() + static_cast<std::ptrdiff_t>(i));
      what = "chunk " + std::to_string(i) + " dropped";
      break;
    case Mutation::kChunkSwap:
      if (data_chunks < 2) return std::nullopt;
      std::swap(p.chunks[i], p.chunks[(i + 1) % data_chunks]);
      what = "chunks " + std::to_string(i) + " and " + std::to_string((i + 1) % data_chunks) +
             " swapped";
      break;
    case Mutation::kChunkTruncate:
      p.chunks.pop_back();
      what = "final chunk cut off";
      break;
    default:
      return std::nullopt;
  }
  p.body.clear();
  for (const std::string& c : p.chunks) p.body += c;
  return what;
}

}  // namespace

const char* MutationName(Mutation m) {
  static constexpr const char* kNames[] = {"none",
                                           "header-value",
                                           "drop-signed-header",
                                           "query-add",
                                           "query-value",
                                           "body",
                                           "date-header",
                                           "scope-date",
                                           "scope-region",
                                           "scope-service",
                                           "access-key",
                                           "signature",
                                           "signed-header-list",
                                           "path",
                                           "chunk-data",
                                           "chunk-signature",
                                           "chunk-drop",
                                           "chunk-swap",
                                           "chunk-truncate"};
  return kNames[static_cast<int>(m)];
}

AuthorizationParts ParseAuthorization(const std::string& value) {
  AuthorizationParts parts;
  auto field = [&value](const std::string& name) -> std::string {
    const auto at = value.find(name + "=");
    if (at == std::string::npos) return "";
    const auto start = at + name.size() + 1;
    const auto end = value.find(',', start);
    return value.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  const std::string credential = field("Credential");
  std::vector<std::string> scope;
  std::string item;
  for (char c : credential + "/") {
    if (c == '/') {
      scope.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  if (scope.size() == 5) {
    parts.access_key = scope[0];
    parts.date = scope[1];
    parts.region = scope[2];
    parts.service = scope[3];
    parts.terminator = scope[4];
  }
  for (char c : field("SignedHeaders") + ";") {
    if (c == ';') {
      if (!item.empty()) parts.signed_headers.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  parts.signature = field("Signature");
  return parts;
}

std::string FormatAuthorization(const AuthorizationParts& parts) {
  std::string headers;
  for (const std::string& h : parts.signed_headers) headers += (headers.empty() ? "" : ";") + h;
  return "AWS4-HMAC-SHA256 Credential=" + parts.access_key + "/" + parts.date + "/" + parts.region +
         "/" + parts.service + "/" + parts.terminator + ", SignedHeaders=" + headers +
         ", Signature=" + parts.signature;
}

std::optional<std::string> ApplyMutation(Prepared& p, const MutationSpec& spec) {
  switch (spec.kind) {
    case Mutation::kNone:
      return std::string("none");
    case Mutation::kHeaderValue:
    case Mutation::kDropSignedHeader: {
      const std::string* auth = FindHeader(p, "authorization");
      if (auth == nullptr) return std::nullopt;
      std::vector<std::string> names = ParseAuthorization(*auth).signed_headers;
      // Dropping Host leaves a request HTTP/1.1 refuses anyway; change it instead.
      if (spec.kind == Mutation::kDropSignedHeader) std::erase(names, "host");
      if (names.empty()) return std::nullopt;
      const std::string name = names[spec.which % names.size()];
      if (spec.kind == Mutation::kDropSignedHeader) {
        std::erase_if(p.headers, [&name](const auto& h) { return h.first == name; });
        return "signed header '" + name + "' removed";
      }
      std::string* value = FindHeader(p, name);
      if (value == nullptr) return std::nullopt;
      *value = ChangeChar(*value, spec.where);
      return "signed header '" + name + "' changed";
    }
    case Mutation::kQueryAdd:
      p.target += (p.target.find('?') == std::string::npos ? "?" : "&");
      p.target += "x-conform-extra=" + std::to_string(spec.where % 1000);
      return std::string("query parameter added");
    case Mutation::kQueryValue: {
      const auto q = p.target.find('?');
      const auto eq = p.target.find('=', q == std::string::npos ? p.target.size() : q);
      if (q == std::string::npos || eq == std::string::npos || eq + 1 >= p.target.size() ||
          p.target[eq + 1] == '&') {
        return std::nullopt;
      }
      p.target = p.target.substr(0, eq + 1) + "z" + p.target.substr(eq + 1);
      return std::string("query value changed");
    }
    case Mutation::kBody:
      if (!p.chunks.empty() || p.body.empty()) return std::nullopt;
      p.body[spec.where % p.body.size()] ^= 0x20;
      return "body byte " + std::to_string(spec.where % p.body.size()) + " changed";
    case Mutation::kDateHeader: {
      std::string* date = FindHeader(p, "x-amz-date");
      if (date == nullptr || date->size() != 16) return std::nullopt;
      // A second later: still a valid time, inside any skew window.
      *date = ChangeChar(*date, 14);
      return "x-amz-date changed to " + *date;
    }
    case Mutation::kScopeDate:
    case Mutation::kScopeRegion:
    case Mutation::kScopeService:
    case Mutation::kAccessKey:
    case Mutation::kSignature:
    case Mutation::kSignedHeaderList:
      return MutateAuthorization(p, spec);
    case Mutation::kPath: {
      const auto q = p.target.find('?');
      const std::string path = p.target.substr(0, q);
      if (std::count(path.begin(), path.end(), '/') < 2) return std::nullopt;
      p.target = path + "-x" + (q == std::string::npos ? "" : p.target.substr(q));
      return std::string("object key changed");
    }
    case Mutation::kChunkData:
    case Mutation::kChunkSignature:
    case Mutation::kChunkDrop:
    case Mutation::kChunkSwap:
    case Mutation::kChunkTruncate:
      return MutateChunks(p, spec);
  }
  return std::nullopt;
}

}  // namespace coffer::conform
