#pragma once
// The spool's on-disk record: a fixed header (magic, payload length,
// sequence number, CRC-32C) and the payload (one audit entry as JSON). A
// segment file is records back to back; a reader keeps the longest valid
// prefix and reports what follows it as a torn tail.
//
//   offset 0  u32 magic "CAR1" (little-endian 0x31524143)
//          4  u32 payload length (at most kMaxRecordPayloadBytes)
//          8  u64 sequence number
//         16  u32 CRC-32C of bytes 4..15 and the payload
//         20  payload

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::core::audit {

inline constexpr std::size_t kRecordHeaderBytes = 20;
inline constexpr std::uint32_t kRecordMagic = 0x31524143;
inline constexpr std::size_t kMaxRecordPayloadBytes = 16 * 1024 * 1024;

struct SpoolRecord {
  std::uint64_t seq = 0;
  std::string payload;
};

// Appends the encoding of one record to `out`. The payload must be at most
// kMaxRecordPayloadBytes (asserted).
void EncodeRecord(std::uint64_t seq, std::string_view payload, std::string& out);

struct DecodedSegment {
  std::vector<SpoolRecord> records;  // The valid prefix, in file order.
  std::size_t valid_bytes = 0;       // Length of that prefix.
  std::size_t torn_bytes = 0;        // What follows it (0 when the file is whole).
};

// Decodes a segment. Never fails: a bad magic, an oversized length, a short
// record, a CRC mismatch or a sequence number that does not grow ends the
// valid prefix. Never reads outside `data`.
DecodedSegment DecodeSegment(std::string_view data);

}  // namespace coffer::core::audit
