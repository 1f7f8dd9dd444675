#include "coffer/core/storage/xl_meta.h"

#include <cstring>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"

namespace coffer::core::storage {
namespace {

constexpr std::string_view kMagic = "CXLM";
// Caps that keep a hostile file from asking for absurd allocations.
constexpr std::uint32_t kMaxVersions = 100000;
constexpr std::uint32_t kMaxEntries = 100000;

class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(std::uint16_t v) { Fixed(v, 2); }
  void U32(std::uint32_t v) { Fixed(v, 4); }
  void U64(std::uint64_t v) { Fixed(v, 8); }
  void Str(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  std::string& out() { return out_; }

 private:
  void Fixed(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Reads fields from untrusted bytes; every read checks the remaining length
// and a failure sticks, so callers check ok() once at the end.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint8_t U8() { return static_cast<std::uint8_t>(Fixed(1)); }
  std::uint16_t U16() { return static_cast<std::uint16_t>(Fixed(2)); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(Fixed(4)); }
  std::uint64_t U64() { return Fixed(8); }
  std::string Str() {
    const std::uint32_t n = U32();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  void Fail() { ok_ = false; }

 private:
  std::uint64_t Fixed(std::size_t bytes) {
    if (!ok_ || bytes > in_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    return v;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void WriteMap(Writer& w, const std::map<std::string, std::string>& m) {
  w.U32(static_cast<std::uint32_t>(m.size()));
  for (const auto& [k, val] : m) {
    w.Str(k);
    w.Str(val);
  }
}

std::map<std::string, std::string> ReadMap(Reader& r) {
  std::map<std::string, std::string> m;
  const std::uint32_t n = r.U32();
  if (n > kMaxEntries) r.Fail();
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.Str();
    // Canonical form: keys strictly ascending, so decode . encode = id.
    if (!m.empty() && k <= m.rbegin()->first) r.Fail();
    m[std::move(k)] = r.Str();
  }
  return m;
}

// Writes the fields every drive shares; the signature hashes exactly these.
void WriteShared(Writer& w, const ObjectVersion& v) {
  w.Str(v.version_id);
  w.U8(static_cast<std::uint8_t>(v.kind));
  w.U64(static_cast<std::uint64_t>(v.mod_time_ns));
  w.U64(v.size_bytes);
  w.Str(v.etag);
  w.Str(v.content_type);
  WriteMap(w, v.user_metadata);
  w.Str(v.encryption);
  w.Str(v.data_dir);
  w.U8(v.erasure.data_shards);
  w.U8(v.erasure.parity_shards);
  w.U32(v.erasure.block_size_bytes);
  w.U8(v.erasure.distribution_start);
  w.U32(static_cast<std::uint32_t>(v.parts.size()));
  for (const PartMeta& p : v.parts) {
    w.U32(p.number);
    w.U64(p.size_bytes);
    w.Str(p.etag);
  }
  w.U8(v.inlined ? 1 : 0);
  // Format 2 fields, appended so the format 1 prefix reads unchanged.
  WriteMap(w, v.headers);
  w.Str(v.tags);
  w.U64(static_cast<std::uint64_t>(v.meta_mod_time_ns));
}

void ReadShared(Reader& r, ObjectVersion& v, std::uint16_t format) {
  v.version_id = r.Str();
  const std::uint8_t kind = r.U8();
  if (kind != 1 && kind != 2) r.Fail();
  v.kind = static_cast<VersionKind>(kind);
  v.mod_time_ns = static_cast<std::int64_t>(r.U64());
  v.size_bytes = r.U64();
  v.etag = r.Str();
  v.content_type = r.Str();
  v.user_metadata = ReadMap(r);
  v.encryption = r.Str();
  v.data_dir = r.Str();
  v.erasure.data_shards = r.U8();
  v.erasure.parity_shards = r.U8();
  v.erasure.block_size_bytes = r.U32();
  v.erasure.distribution_start = r.U8();
  const std::uint32_t n_parts = r.U32();
  if (n_parts > kMaxEntries) r.Fail();
  for (std::uint32_t i = 0; i < n_parts && r.ok(); ++i) {
    PartMeta p;
    p.number = r.U32();
    p.size_bytes = r.U64();
    p.etag = r.Str();
    v.parts.push_back(std::move(p));
  }
  const std::uint8_t inl = r.U8();
  if (inl > 1) r.Fail();
  v.inlined = inl == 1;
  if (format < 2) return;
  v.headers = ReadMap(r);
  v.tags = r.Str();
  v.meta_mod_time_ns = static_cast<std::int64_t>(r.U64());
}

std::uint64_t Checksum(std::string_view bytes) { return ShardChecksum(base::AsBytes(bytes)); }

}  // namespace

std::string EncodeXlMeta(const XlMeta& meta) {
  Writer body;
  body.U32(static_cast<std::uint32_t>(meta.versions.size()));
  for (const ObjectVersion& v : meta.versions) {
    WriteShared(body, v);
    body.U8(v.erasure.shard_index);
    body.Str(v.inline_shard);
  }
  Writer file;
  file.out().append(kMagic);
  file.U16(kXlMetaFormatVersion);
  file.U32(static_cast<std::uint32_t>(body.out().size()));
  file.out().append(body.out());
  file.U64(Checksum(file.out()));
  return std::move(file.out());
}

base::Result<XlMeta> DecodeXlMeta(std::string_view bytes) {
  constexpr std::size_t kHeader = 4 + 2 + 4;
  if (bytes.size() < kHeader + 8 || bytes.substr(0, 4) != kMagic) {
    return base::DataLoss("xl.meta: bad magic or too short");
  }
  Reader header(bytes.substr(4, 6));
  const std::uint16_t version = header.U16();
  const std::uint32_t body_len = header.U32();
  if (version < kXlMetaOldestFormatVersion || version > kXlMetaFormatVersion) {
    return base::DataLoss("xl.meta: unknown format version");
  }
  if (body_len != bytes.size() - kHeader - 8) return base::DataLoss("xl.meta: bad length");
  Reader sum(bytes.substr(kHeader + body_len));
  if (sum.U64() != Checksum(bytes.substr(0, kHeader + body_len))) {
    return base::DataLoss("xl.meta: checksum mismatch");
  }
  Reader r(bytes.substr(kHeader, body_len));
  XlMeta meta;
  const std::uint32_t count = r.U32();
  if (count > kMaxVersions) return base::DataLoss("xl.meta: too many versions");
  for (std::uint32_t i = 0; i < count && r.ok(); ++i) {
    ObjectVersion v;
    ReadShared(r, v, version);
    v.erasure.shard_index = r.U8();
    v.inline_shard = r.Str();
    meta.versions.push_back(std::move(v));
  }
  if (!r.ok() || !r.at_end()) return base::DataLoss("xl.meta: malformed body");
  return meta;
}

std::string VersionSignature(const ObjectVersion& version) {
  Writer w;
  WriteShared(w, version);
  // The shared fields themselves are the signature: exact, and small next to
  // the shards they describe.
  return std::move(w.out());
}

}  // namespace coffer::core::storage
