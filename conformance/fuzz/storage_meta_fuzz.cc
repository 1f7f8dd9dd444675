// Fuzz target for the xl.meta decoder: any input decodes or fails with
// kDataLoss, never crashes; and whatever decodes re-encodes to the same bytes
// (print . parse = id on the accepted set). Each input is tried twice: as a
// whole file, and as a body wrapped in a valid header and checksum, so the
// fuzzer reaches the body parser instead of stopping at the checksum.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_coder.h"
#include "coffer/core/storage/xl_meta.h"

namespace {

void Check(std::string_view in) {
  auto meta = coffer::core::storage::DecodeXlMeta(in);
  if (meta.has_value()) {
    COFFER_ASSERT(coffer::core::storage::EncodeXlMeta(*meta) == in);
  } else {
    COFFER_ASSERT(meta.error().code() == coffer::base::ErrorCode::kDataLoss);
  }
}

void PutLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  std::string wrapped = "CXLM";
  PutLe(wrapped, coffer::core::storage::kXlMetaFormatVersion, 2);
  PutLe(wrapped, size, 4);
  wrapped.append(in);
  PutLe(wrapped, coffer::core::storage::ShardChecksum(coffer::base::AsBytes(wrapped)), 8);
  Check(wrapped);
  return 0;
}
