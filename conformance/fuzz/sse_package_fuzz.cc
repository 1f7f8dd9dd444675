// Fuzz target for the SSE package decoder (issue #9): stored object bytes
// under a fixed object key, fed to DecryptingSink as a single-PUT stream and
// as one multipart part, whole and as a range chosen by the first bytes. Any
// input decrypts or fails with kDataLoss, never crashes; no more plaintext
// than planned reaches the sink. The seed corpus (fixtures/fuzz/sse-package/)
// holds valid streams under this key, so mutations reach the AEAD and the
// header checks past the size check.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/crypto.h>

#include "coffer/base/assert.h"
#include "coffer/base/bytes.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/sse/stream.h"

namespace {

namespace sse = coffer::core::sse;
namespace storage = coffer::core::storage;

// The key the seed corpus was made with: bytes 0, 1, ..., 31.
sse::ObjectKey FixedKey() {
  std::string key(32, '\0');
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(i);
  return sse::ObjectKey(coffer::base::Secret(std::move(key)));
}

const sse::Engine& TheEngine() {
  static OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
  static std::unique_ptr<sse::Engine> engine = std::move(sse::Engine::Create(libctx)).value();
  return *engine;
}

void Decode(const sse::ObjectLayout& layout, std::string_view stored, std::uint64_t offset,
            std::optional<std::uint64_t> length) {
  auto plan = sse::PlanRange(layout, offset, length);
  if (!plan.has_value()) return;
  COFFER_ASSERT(plan->ciphertext_offset + plan->ciphertext_length <= stored.size());
  static const sse::ObjectKey key = FixedKey();
  for (sse::Algorithm algorithm : {sse::Algorithm::kAes256Gcm, sse::Algorithm::kChaCha20Poly1305}) {
    storage::StringSink out;
    auto sink = sse::DecryptingSink::Create(TheEngine(), key, algorithm, layout, *plan, out);
    COFFER_ASSERT(sink.has_value());
    std::string_view range = stored.substr(plan->ciphertext_offset, plan->ciphertext_length);
    coffer::base::Status status = coffer::base::Ok();
    // Odd-sized writes exercise package reassembly.
    while (!range.empty() && status.has_value()) {
      const std::size_t n = std::min<std::size_t>(range.size(), 1000 + range.size() % 7);
      status = (*sink)->Write(coffer::base::AsBytes(range.substr(0, n)));
      range.remove_prefix(n);
    }
    if (status.has_value()) status = (*sink)->Finish();
    if (!status.has_value()) {
      COFFER_ASSERT(status.error().code() == coffer::base::ErrorCode::kDataLoss);
    } else {
      COFFER_ASSERT(out.data().size() == plan->plaintext_length);
    }
    COFFER_ASSERT(out.data().size() <= plan->plaintext_length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto single = sse::ObjectLayout::Single(in.size()); single.has_value()) {
    Decode(*single, in, 0, std::nullopt);
    if (single->plaintext_bytes() > 0 && size > 2) {
      const std::uint64_t offset =
          static_cast<std::uint8_t>(in[0]) * 997 % single->plaintext_bytes();
      Decode(*single, in, offset, static_cast<std::uint8_t>(in[1]) * 1021 + 1);
    }
  }
  if (auto part = sse::ObjectLayout::Multipart({{1, in.size()}}); part.has_value()) {
    Decode(*part, in, 0, std::nullopt);
  }
  return 0;
}
