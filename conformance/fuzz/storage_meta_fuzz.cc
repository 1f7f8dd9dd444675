// Fuzz target for the xl.meta decoder: any input decodes or fails with
// kDataLoss, never crashes; and whatever decodes re-encodes to the same bytes
// (print . parse = id on the accepted set).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "coffer/core/storage/xl_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto meta = coffer::core::storage::DecodeXlMeta(in);
  if (meta.has_value()) {
    COFFER_ASSERT(coffer::core::storage::EncodeXlMeta(*meta) == in);
  } else {
    COFFER_ASSERT(meta.error().code() == coffer::base::ErrorCode::kDataLoss);
  }
  return 0;
}
