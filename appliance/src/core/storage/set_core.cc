#include "set_core.h"

#include <algorithm>

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/md5.h"

namespace coffer::core::storage {

Md5::Md5(ossl_lib_ctx_st* libctx) : ctx_(EVP_MD_CTX_new()) {
  COFFER_ASSERT(ctx_ != nullptr);
  EVP_MD* md = EVP_MD_fetch(libctx, "MD5", nullptr);
  COFFER_ASSERT(md != nullptr);
  const int ok = EVP_DigestInit_ex(ctx_, md, nullptr);
  EVP_MD_free(md);
  COFFER_ASSERT(ok == 1);
}

Md5::~Md5() { EVP_MD_CTX_free(ctx_); }

void Md5::Update(std::span<const std::byte> data) {
  COFFER_ASSERT(EVP_DigestUpdate(ctx_, data.data(), data.size()) == 1);
}

std::string Md5::FinishRaw() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  COFFER_ASSERT(EVP_DigestFinal_ex(ctx_, out, &n) == 1);
  return std::string(reinterpret_cast<const char*>(out), n);
}

KeyLocks::Guard::Guard(KeyLocks& locks, std::string name, bool shared)
    : locks_(locks), name_(std::move(name)), shared_(shared) {
  std::unique_lock lock(locks_.mu_);
  locks_.cv_.wait(lock, [&] {
    auto it = locks_.held_.find(name_);
    if (it == locks_.held_.end()) return true;
    return shared_ ? !it->second.writer : (!it->second.writer && it->second.readers == 0);
  });
  State& state = locks_.held_[name_];
  if (shared_)
    ++state.readers;
  else
    state.writer = true;
}

KeyLocks::Guard::~Guard() {
  {
    std::lock_guard lock(locks_.mu_);
    auto it = locks_.held_.find(name_);
    COFFER_ASSERT(it != locks_.held_.end());
    if (shared_)
      --it->second.readers;
    else
      it->second.writer = false;
    if (it->second.readers == 0 && !it->second.writer) locks_.held_.erase(it);
  }
  locks_.cv_.notify_all();
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 15]);
  }
  return out;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string BucketDir(std::string_view bucket) {
  std::string out(kBucketsDir);
  out += '/';
  out += bucket;
  return out;
}

std::vector<std::string_view> KeySegments(std::string_view key) {
  std::vector<std::string_view> out;
  while (!key.empty()) {
    std::size_t n = std::min(key.size(), kSegmentBytes);
    const std::size_t slash = key.substr(0, n).find('/');
    if (slash != std::string_view::npos) n = slash + 1;
    out.push_back(key.substr(0, n));
    key.remove_prefix(n);
  }
  return out;
}

bool SegmentMayHoldChildren(std::string_view hex_segment) {
  return hex_segment.size() == 2 * kSegmentBytes || hex_segment.ends_with("2f");
}

std::string ObjectDir(std::string_view bucket, std::string_view key) {
  std::string out = BucketDir(bucket) + "/o";
  for (std::string_view segment : KeySegments(key)) {
    out += '/';
    out += HexEncode(segment);
  }
  return out;
}

base::Status ValidateBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return base::InvalidArgument("bucket name must have 3 to 63 characters");
  }
  for (const char c : bucket) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return base::InvalidArgument("bucket name may hold only a-z 0-9 . -");
  }
  if (bucket.front() == '.' || bucket.front() == '-' || bucket.back() == '.' ||
      bucket.back() == '-' || bucket.find("..") != std::string_view::npos) {
    return base::InvalidArgument("bucket name must start and end with a letter or digit");
  }
  return base::Ok();
}

base::Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return base::InvalidArgument("object key is empty");
  if (key.size() > 1024) return base::InvalidArgument("object key is longer than 1024 bytes");
  return base::Ok();
}

std::string PublicVersionId(std::string_view stored) {
  return stored.empty() ? std::string(kNullVersionId) : std::string(stored);
}

ObjectInfo ToObjectInfo(std::string_view bucket, std::string_view key, const ObjectVersion& v,
                        bool is_latest) {
  ObjectInfo info;
  info.bucket = std::string(bucket);
  info.key = std::string(key);
  info.version_id = PublicVersionId(v.version_id);
  info.is_latest = is_latest;
  info.delete_marker = v.kind == VersionKind::kDeleteMarker;
  info.size_bytes = v.size_bytes;
  info.etag = v.etag;
  info.mod_time = base::WallTime(std::chrono::nanoseconds(v.mod_time_ns));
  info.content_type = v.content_type;
  info.user_metadata = v.user_metadata;
  info.headers = v.headers;
  info.tags = v.tags;
  info.encryption = v.encryption;
  // Multipart ETags end in "-N"; a single PUT reports no parts.
  if (v.etag.find('-') != std::string::npos) {
    info.part_count = static_cast<std::uint32_t>(v.parts.size());
    for (const PartMeta& p : v.parts) {
      info.part_sizes.push_back(p.size_bytes);
      info.part_numbers.push_back(p.number);
    }
  }
  return info;
}

ErasureSet::Core::Core(env::Env& env, ErasureSetOptions options, ErasureCoder coder)
    : env_(env), options_(std::move(options)), coder_(std::move(coder)) {
  for (const std::string& location : options_.drive_locations) {
    Slot slot;
    slot.location = location;
    slot.status.location = location;
    slot.status.state = DriveState::kMissing;
    slots_.push_back(std::move(slot));
  }
}

std::string ErasureSet::Core::NewUuid() {
  std::string raw;
  {
    // The Random seam is not thread-safe by contract.
    std::lock_guard lock(mu_);
    raw = env_.random().Bytes(16);
  }
  raw[6] = static_cast<char>((raw[6] & 0x0f) | 0x40);
  raw[8] = static_cast<char>((raw[8] & 0x3f) | 0x80);
  const std::string hex = HexEncode(raw);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string ErasureSet::Core::NewMd5Etag(std::string_view data) {
  Md5 md5(env_.random().LibCtx());
  md5.Update(base::AsBytes(data));
  return HexEncode(md5.FinishRaw());
}

int ErasureSet::Core::DistributionStart(std::string_view key) const {
  // MinIO places shards by a hash of the object name, so that load spreads
  // over the drives while every node computes the same order.
  const std::uint32_t h =
      crc32_ieee(0, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return static_cast<int>(h % static_cast<std::uint32_t>(drives()));
}

void ErasureSet::Core::ScheduleHeal(std::string_view bucket, std::string_view key) {
  {
    std::lock_guard lock(mu_);
    if (!heal_pending_.emplace(std::string(bucket), std::string(key)).second) return;
  }
  std::weak_ptr<Core> weak = self_;
  env_.scheduler().Post([weak, b = std::string(bucket), k = std::string(key)] {
    std::shared_ptr<Core> core = weak.lock();
    if (!core) return;
    {
      std::lock_guard lock(core->mu_);
      core->heal_pending_.erase({b, k});
    }
    KeyLocks::Guard guard(core->locks(), b + "/" + k);
    auto result = core->HealObjectLocked(b, k, /*dry_run=*/false);
    if (!result) {
      core->env().log().Warn("storage", "background heal failed",
                             {{"bucket", b}, {"error", result.error().ToString()}});
    }
  });
}

}  // namespace coffer::core::storage
