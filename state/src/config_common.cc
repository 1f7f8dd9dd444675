// Small shared pieces of the config model: error formatting, secret references, enum names.

#include "coffer/state/config.h"

namespace coffer::state {

std::string ConfigError::ToString() const {
  return where.file + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
         message;
}

std::string FormatErrors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    out += e.ToString();
    out += '\n';
  }
  return out;
}

std::string SecretRef::Text() const {
  switch (kind) {
    case Kind::kEnv:
      return "env:" + target;
    case Kind::kFile:
      return "file:" + target;
    case Kind::kSealed:
      return target;
  }
  return {};
}

base::Result<SecretRef> ParseSecretRef(std::string_view text) {
  SecretRef ref;
  if (text.starts_with("env:")) {
    std::string_view name = text.substr(4);
    bool ok = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
    for (char c : name) {
      ok = ok &&
           ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    }
    if (!ok) return base::InvalidArgument("env: needs a variable name ([A-Za-z_][A-Za-z0-9_]*)");
    ref.kind = SecretRef::Kind::kEnv;
    ref.target = std::string(name);
    return ref;
  }
  if (text.starts_with("file:")) {
    if (text.size() == 5) return base::InvalidArgument("file: needs a path");
    ref.kind = SecretRef::Kind::kFile;
    ref.target = std::string(text.substr(5));
    return ref;
  }
  if (text.starts_with("sealed:")) {
    std::string_view payload = text.substr(7);
    bool ok = payload.size() >= 16;
    for (char c : payload) {
      ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=');
    }
    if (!ok) return base::InvalidArgument("sealed: payload is not valid base64");
    ref.kind = SecretRef::Kind::kSealed;
    ref.target = std::string(text);
    return ref;
  }
  // SECURITY: never echo the text; it is probably the secret itself.
  return base::InvalidArgument(
      "plain secrets are not allowed in the repo; use env:NAME, file:PATH or sealed:... "
      "(coffer seal)");
}

std::string_view EncryptionName(Encryption e) {
  switch (e) {
    case Encryption::kNone:
      return "none";
    case Encryption::kSseS3:
      return "sse-s3";
    case Encryption::kSseKms:
      return "sse-kms";
  }
  return "none";
}

std::string_view AnonymousAccessName(AnonymousAccess a) {
  switch (a) {
    case AnonymousAccess::kNone:
      return "none";
    case AnonymousAccess::kDownload:
      return "download";
    case AnonymousAccess::kUpload:
      return "upload";
    case AnonymousAccess::kPublic:
      return "public";
  }
  return "none";
}

base::Result<DesiredState> LoadValidConfig(const ConfigTree& tree) {
  ConfigLoad load = LoadConfig(tree);
  if (!load.ok()) return base::InvalidArgument(FormatErrors(load.errors));
  return std::move(load.state);
}

}  // namespace coffer::state
