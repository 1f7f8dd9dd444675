// Fuzz target for the xl.meta decoder: any input decodes or fails with
// kDataLoss, never crashes; and whatever decodes in the current format
// re-encodes to the same bytes (print . parse = id on the accepted set). An
// older format decodes into a value whose current-format encoding is then a
// fixed point (the upgrade loses nothing the new format can say). Each input
// is tried as a whole file, and as a body wrapped in a valid header and
// checksum of every supported format, so the fuzzer reaches both body parsers
// instead of stopping at the checksum.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/assert.h"
#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/xl_meta.h"

namespace {

namespace storage = coffer::core::storage;

void Check(std::string_view in) {
  auto meta = storage::DecodeXlMeta(in);
  if (!meta.has_value()) {
    COFFER_ASSERT(meta.error().code() == coffer::base::ErrorCode::kDataLoss);
    return;
  }
  const std::string again = storage::EncodeXlMeta(*meta);
  // Decoded, so the header is there: bytes 4..5 are the format version.
  const auto format = static_cast<std::uint16_t>(static_cast<unsigned char>(in[4]) |
                                                 (static_cast<unsigned char>(in[5]) << 8));
  if (format == storage::kXlMetaFormatVersion) {
    COFFER_ASSERT(again == in);
    return;
  }
  auto upgraded = storage::DecodeXlMeta(again);
  COFFER_ASSERT(upgraded.has_value());
  COFFER_ASSERT(storage::EncodeXlMeta(*upgraded) == again);
}

void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  for (std::uint16_t format = storage::kXlMetaOldestFormatVersion;
       format <= storage::kXlMetaFormatVersion; ++format) {
    std::string wrapped = "CXLM";
    PutLe(wrapped, format, 2);
    PutLe(wrapped, size, 4);
    wrapped.append(in);
    PutLe(wrapped, storage::ShardChecksum(coffer::base::AsBytes(wrapped)), 8);
    Check(wrapped);
  }
  return 0;
}
