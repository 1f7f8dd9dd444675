#include "coffer/core/kms/local_key_service.h"

#include <mutex>
#include <optional>
#include <utility>

#include "coffer/base/bytes.h"
#include "coffer/state/crypto.h"

#include "aead.h"

namespace coffer::core::kms {
namespace {

constexpr std::string_view kKeysDir = "keys";
constexpr std::string_view kRootCheckPath = "root.check";
constexpr std::string_view kKeyFileMagic = "coffer-kms-key-v1";
constexpr std::string_view kRootCheckText = "coffer-kms-root-check-v1";
// A pruned version's line: "vN=-" (base64 never is a lone '-').
constexpr std::string_view kDestroyedVersion = "-";
constexpr char kCiphertextMagic[2] = {'C', 'K'};
constexpr char kCiphertextFormat = 1;
constexpr std::size_t kHeaderBytes = 2 + 1 + 4;

std::string KeyPath(std::string_view name) {
  return std::string(kKeysDir) + "/" + std::string(name);
}

std::string BigEndian32(std::uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

std::uint32_t ReadBigEndian32(std::string_view b) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

// SECURITY: the associated data of a key version at rest names the key and the
// slot, so a sealed version copied into another key's file does not open.
std::string VersionAad(std::string_view name, std::uint32_t version) {
  std::string aad = "coffer-kms-version-v1";
  aad += '\0';
  aad += name;
  aad += '\0';
  aad += BigEndian32(version);
  return aad;
}

// SECURITY: a data-key ciphertext is bound to the header (format, version),
// the key name and the caller's context: changing any of them fails the tag.
std::string CiphertextAad(std::string_view header, std::string_view name,
                          std::string_view context) {
  std::string aad(header);
  aad += BigEndian32(static_cast<std::uint32_t>(name.size()));
  aad += name;
  aad += context;
  return aad;
}

// A nonce-prefixed seal for the files at rest: nonce (12) | ct | tag.
base::Result<std::string> SealAtRest(base::Random& random, const base::Secret& root,
                                     std::string_view plaintext, std::string_view aad) {
  std::string nonce = random.Bytes(kNonceBytes);
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          GcmSeal(random.LibCtx(), root.Reveal(), nonce, plaintext, aad));
  return nonce + sealed;
}

base::Result<base::Secret> OpenAtRest(ossl_lib_ctx_st* libctx, const base::Secret& root,
                                      std::string_view blob, std::string_view aad) {
  if (blob.size() < kNonceBytes + kTagBytes) return base::DataLoss("sealed value too short");
  return GcmOpen(libctx, root.Reveal(), blob.substr(0, kNonceBytes), blob.substr(kNonceBytes), aad);
}

}  // namespace

base::Status ValidateKeyName(std::string_view name) {
  if (name.empty() || name.size() > 80) {
    return base::InvalidArgument("key name must be 1 to 80 characters");
  }
  if (name.front() == '.') return base::InvalidArgument("key name must not start with '.'");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return base::InvalidArgument("key name may hold only A-Z a-z 0-9 . _ -");
  }
  return base::Ok();
}

bool KeyNameMatches(std::string_view pattern, std::string_view name) {
  // Iterative glob with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

LocalKeyService::LocalKeyService(env::Env& env, std::unique_ptr<env::Drive> drive,
                                 LocalKeyServiceOptions options)
    : env_(env), drive_(std::move(drive)), options_(std::move(options)) {}

LocalKeyService::~LocalKeyService() = default;

base::Result<std::unique_ptr<LocalKeyService>> LocalKeyService::Open(
    env::Env& env, LocalKeyServiceOptions options) {
  if (options.root_key.size() != kKeyBytes) {
    return base::InvalidArgument("the key store's root key must be 32 bytes");
  }
  COFFER_ASSIGN_OR_RETURN(auto drive, env.OpenDrive(options.location));
  std::unique_ptr<LocalKeyService> service(
      new LocalKeyService(env, std::move(drive), std::move(options)));
  COFFER_RETURN_IF_ERROR(service->CheckRootKey());
  COFFER_RETURN_IF_ERROR(service->Load());
  return service;
}

// The check value tells a wrong root key (refused as a whole) from a damaged
// key file (refused one key at a time).
base::Status LocalKeyService::CheckRootKey() {
  auto text = drive_->ReadAll(kRootCheckPath);
  if (!text.has_value()) {
    if (text.error().code() != base::ErrorCode::kNotFound) return text.error();
    COFFER_ASSIGN_OR_RETURN(std::string sealed, SealAtRest(env_.random(), options_.root_key,
                                                           kRootCheckText, kRootCheckPath));
    std::string line = state::Base64Encode(sealed) + "\n";
    return drive_->WriteAtomic(kRootCheckPath, base::AsBytes(line));
  }
  std::string_view body = *text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  std::optional<std::string> raw = state::Base64Decode(body);
  if (!raw) return base::DataLoss(drive_->Name() + "/root.check does not parse");
  auto opened = OpenAtRest(env_.random().LibCtx(), options_.root_key, *raw, kRootCheckPath);
  if (!opened.has_value() || opened->Reveal() != kRootCheckText) {
    return base::PermissionDenied("the root key does not open the key store at " + drive_->Name());
  }
  return base::Ok();
}

// Key file: the magic line, then "name=NAME", then one "vN=BASE64" per version.
base::Result<std::optional<LocalKeyService::Key>> LocalKeyService::ReadKey(
    std::string_view name) const {
  auto text = drive_->ReadAll(KeyPath(name));
  if (!text.has_value()) {
    if (text.error().code() == base::ErrorCode::kNotFound) return std::optional<Key>();
    return text.error();
  }
  const std::string where = drive_->Name() + "/" + KeyPath(name);
  std::vector<std::string_view> lines;
  for (std::string_view rest = *text; !rest.empty();) {
    const auto nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  if (lines.size() < 3 || lines[0] != kKeyFileMagic || lines[1] != "name=" + std::string(name)) {
    return base::DataLoss(where + ": not a key file");
  }
  Key key;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const auto version = static_cast<std::uint32_t>(i - 1);
    const std::string prefix = "v" + std::to_string(version) + "=";
    if (!lines[i].starts_with(prefix)) return base::DataLoss(where + ": bad version line");
    if (lines[i].substr(prefix.size()) == kDestroyedVersion) {
      key.versions.emplace_back();  // Pruned: an empty slot keeps the numbering.
      continue;
    }
    std::optional<std::string> raw = state::Base64Decode(lines[i].substr(prefix.size()));
    if (!raw) return base::DataLoss(where + ": bad version line");
    auto material =
        OpenAtRest(env_.random().LibCtx(), options_.root_key, *raw, VersionAad(name, version));
    if (!material.has_value()) {
      return base::DataLoss(where + ": version " + std::to_string(version) + " does not open");
    }
    key.versions.push_back(std::move(material).value());
  }
  return std::optional<Key>(std::move(key));
}

base::Result<std::map<std::string, LocalKeyService::Key, std::less<>>>
LocalKeyService::ReadAllKeys() const {
  std::map<std::string, Key, std::less<>> keys;
  auto names = drive_->List(kKeysDir);
  if (!names.has_value()) {
    if (names.error().code() == base::ErrorCode::kNotFound) return keys;
    return names.error();
  }
  for (const std::string& file : *names) {
    if (file.ends_with('/') || !ValidateKeyName(file).has_value()) continue;
    COFFER_ASSIGN_OR_RETURN(std::optional<Key> key, ReadKey(file));
    if (key.has_value()) keys.emplace(file, std::move(*key));  // Else deleted meanwhile.
  }
  return keys;
}

base::Status LocalKeyService::Load() {
  COFFER_ASSIGN_OR_RETURN(keys_, ReadAllKeys());
  return base::Ok();
}

base::Status LocalKeyService::Refresh() {
  // Read outside the lock: key operations go on meanwhile.
  COFFER_ASSIGN_OR_RETURN(auto on_drive, ReadAllKeys());
  std::unique_lock lock(mu_);
  for (auto& [name, key] : on_drive) {
    auto it = keys_.find(name);
    // INVARIANT: version lists only grow (a prune empties slots, it keeps
    // them), and every change reaches the drive before memory; so a longer
    // list in memory is a rotation in this process that landed after the
    // read above, and otherwise the drive is the newer state.
    if (it == keys_.end()) {
      keys_.emplace(name, std::move(key));
    } else if (key.versions.size() >= it->second.versions.size()) {
      it->second = std::move(key);  // Same length: the drive's (a prune) wins.
    }
  }
  std::erase_if(keys_, [&](const auto& entry) { return !on_drive.contains(entry.first); });
  return base::Ok();
}

base::Status LocalKeyService::RefreshKeyLocked(std::string_view name) {
  COFFER_ASSIGN_OR_RETURN(std::optional<Key> key, ReadKey(name));
  auto it = keys_.find(name);
  if (!key.has_value()) {
    if (it != keys_.end()) keys_.erase(it);
  } else if (it == keys_.end()) {
    keys_.emplace(std::string(name), std::move(*key));
  } else if (key->versions.size() >= it->second.versions.size()) {
    it->second = std::move(*key);
  }
  return base::Ok();
}

base::Status LocalKeyService::CatchUp(std::string_view name, std::uint32_t min_versions) {
  {
    std::shared_lock lock(mu_);
    auto it = keys_.find(name);
    if (it != keys_.end() && it->second.versions.size() >= min_versions) return base::Ok();
  }
  if (!ValidateKeyName(name).has_value()) return base::Ok();  // Never a file name.
  std::unique_lock lock(mu_);
  return RefreshKeyLocked(name);
}

base::Status LocalKeyService::StoreKey(std::string_view name, const Key& key) {
  std::string text(kKeyFileMagic);
  text += "\nname=";
  text += name;
  text += '\n';
  for (std::size_t i = 0; i < key.versions.size(); ++i) {
    const auto version = static_cast<std::uint32_t>(i + 1);
    if (key.versions[i].size() == 0) {
      text += "v" + std::to_string(version) + "=" + std::string(kDestroyedVersion) + "\n";
      continue;
    }
    COFFER_ASSIGN_OR_RETURN(std::string sealed,
                            SealAtRest(env_.random(), options_.root_key, key.versions[i].Reveal(),
                                       VersionAad(name, version)));
    text += "v" + std::to_string(version) + "=" + state::Base64Encode(sealed) + "\n";
  }
  return drive_->WriteAtomic(KeyPath(name), base::AsBytes(text));
}

base::Status LocalKeyService::AddKey(std::string_view name, base::Secret first_version) {
  COFFER_RETURN_IF_ERROR(ValidateKeyName(name));
  std::unique_lock lock(mu_);
  // SECURITY: another process (`coffer kms create --keys`) may have made the
  // key since this one loaded: never overwrite a key file, or every object
  // sealed under its versions would be lost.
  COFFER_RETURN_IF_ERROR(RefreshKeyLocked(name));
  if (keys_.contains(name)) return base::AlreadyExists("key " + std::string(name) + " exists");
  Key key;
  key.versions.push_back(std::move(first_version));
  COFFER_RETURN_IF_ERROR(StoreKey(name, key));
  keys_.emplace(std::string(name), std::move(key));
  return base::Ok();
}

base::Status LocalKeyService::CreateKey(std::string_view name) {
  return AddKey(name, base::Secret(env_.random().Bytes(kKeyBytes)));
}

base::Status LocalKeyService::ImportKey(std::string_view name, const base::Secret& key) {
  if (key.size() != kKeyBytes) return base::InvalidArgument("an imported key must be 32 bytes");
  return AddKey(name, key);
}

base::Status LocalKeyService::DeleteKey(std::string_view name) {
  COFFER_RETURN_IF_ERROR(ValidateKeyName(name));
  std::unique_lock lock(mu_);
  COFFER_RETURN_IF_ERROR(RefreshKeyLocked(name));
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  COFFER_RETURN_IF_ERROR(drive_->Remove(KeyPath(name)));
  keys_.erase(it);
  return base::Ok();
}

base::Result<std::vector<env::KeyInfo>> LocalKeyService::ListKeys(std::string_view pattern) {
  // A listing answers what the store holds now, whoever wrote it.
  COFFER_RETURN_IF_ERROR(Refresh());
  std::shared_lock lock(mu_);
  std::vector<env::KeyInfo> out;
  for (const auto& [name, key] : keys_) {  // std::map: already sorted by name.
    if (!KeyNameMatches(pattern, name)) continue;
    out.push_back({name, static_cast<std::uint32_t>(key.versions.size())});
  }
  return out;
}

base::Result<std::string> LocalKeyService::Seal(std::string_view name, const Key& key,
                                                std::string_view plaintext,
                                                std::string_view context) {
  const auto version = static_cast<std::uint32_t>(key.versions.size());
  std::string header(kCiphertextMagic, 2);
  header += kCiphertextFormat;
  header += BigEndian32(version);
  std::string nonce = env_.random().Bytes(kNonceBytes);
  COFFER_ASSIGN_OR_RETURN(std::string sealed,
                          GcmSeal(env_.random().LibCtx(), key.versions.back().Reveal(), nonce,
                                  plaintext, CiphertextAad(header, name, context)));
  return header + nonce + sealed;
}

base::Result<base::Secret> LocalKeyService::Open(std::string_view name, const Key& key,
                                                 std::string_view ciphertext,
                                                 std::string_view context) const {
  COFFER_ASSIGN_OR_RETURN(std::uint32_t version, CiphertextVersion(ciphertext));
  if (version == 0 || version > key.versions.size()) {
    return base::DataLoss("ciphertext names a version key " + std::string(name) + " lacks");
  }
  if (key.versions[version - 1].size() == 0) {
    return base::DataLoss("ciphertext names version " + std::to_string(version) + " of key " +
                          std::string(name) + ", which was pruned");
  }
  const std::string_view header = ciphertext.substr(0, kHeaderBytes);
  return GcmOpen(env_.random().LibCtx(), key.versions[version - 1].Reveal(),
                 ciphertext.substr(kHeaderBytes, kNonceBytes),
                 ciphertext.substr(kHeaderBytes + kNonceBytes),
                 CiphertextAad(header, name, context));
}

base::Result<std::uint32_t> LocalKeyService::CiphertextVersion(std::string_view ciphertext) {
  if (ciphertext.size() < kHeaderBytes + kNonceBytes + kTagBytes ||
      ciphertext.substr(0, 2) != std::string_view(kCiphertextMagic, 2) ||
      ciphertext[2] != kCiphertextFormat) {
    return base::DataLoss("not a key-service ciphertext");
  }
  return ReadBigEndian32(ciphertext.substr(3, 4));
}

base::Result<env::DataKey> LocalKeyService::GenerateKey(std::string_view name,
                                                        std::string_view context) {
  base::Secret plaintext(env_.random().Bytes(kKeyBytes));
  COFFER_ASSIGN_OR_RETURN(std::string ciphertext, Encrypt(name, plaintext.Reveal(), context));
  return env::DataKey{std::move(plaintext), std::move(ciphertext)};
}

base::Result<std::string> LocalKeyService::Encrypt(std::string_view name,
                                                   std::string_view plaintext,
                                                   std::string_view context) {
  if (plaintext.size() > kMaxPlaintextBytes) {
    return base::InvalidArgument("plaintext over 1 MiB");
  }
  COFFER_RETURN_IF_ERROR(CatchUp(name, 1));
  std::shared_lock lock(mu_);
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  return Seal(name, it->second, plaintext, context);
}

base::Result<base::Secret> LocalKeyService::Decrypt(std::string_view name,
                                                    std::string_view ciphertext,
                                                    std::string_view context) {
  COFFER_RETURN_IF_ERROR(CatchUp(name, CiphertextVersion(ciphertext).value_or(1)));
  std::shared_lock lock(mu_);
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  return Open(name, it->second, ciphertext, context);
}

base::Result<env::KeyInfo> LocalKeyService::RotateKey(std::string_view name) {
  COFFER_RETURN_IF_ERROR(ValidateKeyName(name));
  std::unique_lock lock(mu_);
  // Builds on the versions on the drive, which another process may have added.
  COFFER_RETURN_IF_ERROR(RefreshKeyLocked(name));
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  Key next;
  next.versions = it->second.versions;
  next.versions.emplace_back(env_.random().Bytes(kKeyBytes));
  // INVARIANT: the drive holds the new version before any ciphertext uses it.
  COFFER_RETURN_IF_ERROR(StoreKey(name, next));
  it->second = std::move(next);
  return env::KeyInfo{it->first, static_cast<std::uint32_t>(it->second.versions.size())};
}

base::Result<env::KeyInfo> LocalKeyService::PruneOldVersions(std::string_view name) {
  COFFER_RETURN_IF_ERROR(ValidateKeyName(name));
  std::unique_lock lock(mu_);
  COFFER_RETURN_IF_ERROR(RefreshKeyLocked(name));
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  Key next;
  next.versions.resize(it->second.versions.size());
  next.versions.back() = it->second.versions.back();
  // INVARIANT: the drive forgets the old versions before memory does.
  COFFER_RETURN_IF_ERROR(StoreKey(name, next));
  it->second = std::move(next);
  return env::KeyInfo{it->first, static_cast<std::uint32_t>(it->second.versions.size())};
}

base::Result<std::string> LocalKeyService::Rewrap(std::string_view name,
                                                  std::string_view ciphertext,
                                                  std::string_view context) {
  COFFER_RETURN_IF_ERROR(CatchUp(name, CiphertextVersion(ciphertext).value_or(1)));
  std::shared_lock lock(mu_);
  auto it = keys_.find(name);
  if (it == keys_.end()) return base::NotFound("no key " + std::string(name));
  COFFER_ASSIGN_OR_RETURN(base::Secret plaintext, Open(name, it->second, ciphertext, context));
  return Seal(name, it->second, plaintext.Reveal(), context);
}

base::Result<env::KeyServiceStatus> LocalKeyService::Status() {
  return env::KeyServiceStatus{options_.endpoint, options_.version, true};
}

}  // namespace coffer::core::kms
