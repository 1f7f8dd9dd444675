#pragma once
// Shared helpers for the SSE tests: an engine, a key service with the
// standard keys, and encrypt/decrypt round trips through the streams.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/format.h"
#include "coffer/core/sse/stream.h"
#include "coffer/core/storage/object_layer.h"

#include "fake_key_service.h"

namespace coffer::core::sse::testing {

inline constexpr std::string_view kS3Key = "coffer-sse-s3";
inline constexpr std::string_view kKmsKey = "tenant-key";

struct Fixture {
  TestRandom random{7};
  FakeKeyService keys{random};
  std::unique_ptr<Engine> engine;

  Fixture() {
    engine = std::move(Engine::Create(random.LibCtx())).value();
    (void)keys.CreateKey(kS3Key);
    (void)keys.CreateKey(kKmsKey);
  }

  // The stored bytes of one stream of `plaintext`.
  std::string Encrypt(const ObjectKey& key, Algorithm algorithm, std::uint32_t part,
                      std::string_view plaintext, std::size_t read_size = 1 << 20) {
    storage::StringSource body(plaintext);
    auto source =
        std::move(EncryptingSource::Create(*engine, key, algorithm, part, body, random)).value();
    std::string out;
    std::string chunk(read_size, '\0');
    for (;;) {
      auto n = source->Read(base::AsWritableBytes(chunk));
      if (!n.has_value() || *n == 0) break;
      out.append(chunk, 0, *n);
    }
    return out;
  }

  // Decrypts [offset, offset+length) of `stored` laid out as `layout`,
  // feeding the planned ciphertext in chunks of `chunk` bytes.
  base::Result<std::string> Decrypt(const ObjectKey& key, Algorithm algorithm,
                                    const ObjectLayout& layout, std::string_view stored,
                                    std::uint64_t offset = 0,
                                    std::optional<std::uint64_t> length = std::nullopt,
                                    std::size_t chunk = 4096) {
    COFFER_ASSIGN_OR_RETURN(RangePlan plan, PlanRange(layout, offset, length));
    storage::StringSink out;
    COFFER_ASSIGN_OR_RETURN(auto sink,
                            DecryptingSink::Create(*engine, key, algorithm, layout, plan, out));
    std::string_view range = stored.substr(plan.ciphertext_offset, plan.ciphertext_length);
    while (!range.empty()) {
      const std::size_t n = std::min(chunk, range.size());
      COFFER_RETURN_IF_ERROR(sink->Write(base::AsBytes(range.substr(0, n))));
      range.remove_prefix(n);
    }
    COFFER_RETURN_IF_ERROR(sink->Finish());
    return out.data();
  }
};

inline std::string Pattern(std::size_t n, std::uint32_t seed = 1) {
  std::string s(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace coffer::core::sse::testing
