#include "coffer/core/audit/record.h"

#include <cstring>

#include "coffer/base/assert.h"
#include "coffer/core/auth/checksum.h"

namespace coffer::core::audit {
namespace {

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t GetLe(std::string_view data, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

}  // namespace

void EncodeRecord(std::uint64_t seq, std::string_view payload, std::string& out) {
  COFFER_ASSERT(payload.size() <= kMaxRecordPayloadBytes);
  const std::size_t start = out.size();
  out.reserve(start + kRecordHeaderBytes + payload.size());
  PutU32(out, kRecordMagic);
  PutU32(out, static_cast<std::uint32_t>(payload.size()));
  PutU64(out, seq);
  std::uint32_t crc = auth::Crc32c(0, std::string_view(out).substr(start + 4, 12));
  crc = auth::Crc32c(crc, payload);
  PutU32(out, crc);
  out.append(payload);
}

DecodedSegment DecodeSegment(std::string_view data) {
  DecodedSegment out;
  std::size_t at = 0;
  std::uint64_t last_seq = 0;
  while (data.size() - at >= kRecordHeaderBytes) {
    if (GetLe(data, at, 4) != kRecordMagic) break;
    const std::uint64_t length = GetLe(data, at + 4, 4);
    if (length > kMaxRecordPayloadBytes) break;
    if (data.size() - at - kRecordHeaderBytes < length) break;
    const std::uint64_t seq = GetLe(data, at + 8, 8);
    const std::uint32_t want = static_cast<std::uint32_t>(GetLe(data, at + 16, 4));
    const std::string_view payload = data.substr(at + kRecordHeaderBytes, length);
    std::uint32_t crc = auth::Crc32c(0, data.substr(at + 4, 12));
    crc = auth::Crc32c(crc, payload);
    if (crc != want) break;
    // INVARIANT: sequence numbers grow within a segment; anything else is
    // not a record this spool wrote.
    if (seq == 0 || seq <= last_seq) break;
    last_seq = seq;
    out.records.push_back({seq, std::string(payload)});
    at += kRecordHeaderBytes + length;
  }
  out.valid_bytes = at;
  out.torn_bytes = data.size() - at;
  return out;
}

}  // namespace coffer::core::audit
