#include "coffer/core/storage/erasure_coder.h"

#include <algorithm>
#include <string>

#include <isa-l/crc64.h>
#include <isa-l/erasure_code.h>

namespace coffer::core::storage {

std::uint64_t ShardChecksum(std::span<const std::byte> data) {
  return crc64_ecma_refl(0, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

base::Result<ErasureCoder> ErasureCoder::Create(int data, int parity) {
  if (data < 1 || parity < 1 || data + parity > 32) {
    return base::InvalidArgument("erasure layout " + std::to_string(data) + "+" +
                                 std::to_string(parity) + " is not supported");
  }
  return ErasureCoder(data, parity);
}

ErasureCoder::ErasureCoder(int data, int parity)
    : data_(data),
      parity_(parity),
      matrix_(static_cast<std::size_t>((data + parity) * data)),
      encode_tables_(static_cast<std::size_t>(data * parity * 32)) {
  gf_gen_cauchy1_matrix(matrix_.data(), data + parity, data);
  ec_init_tables(data, parity, matrix_.data() + data * data, encode_tables_.data());
}

void ErasureCoder::Encode(std::size_t shard_len, std::span<std::byte* const> data,
                          std::span<std::byte* const> parity) const {
  COFFER_ASSERT(data.size() == static_cast<std::size_t>(data_));
  COFFER_ASSERT(parity.size() == static_cast<std::size_t>(parity_));
  // ISA-L takes non-const tables and pointer arrays; it only reads the tables.
  auto* tables = const_cast<unsigned char*>(encode_tables_.data());
  ec_encode_data(static_cast<int>(shard_len), data_, parity_, tables,
                 reinterpret_cast<unsigned char**>(const_cast<std::byte**>(data.data())),
                 reinterpret_cast<unsigned char**>(const_cast<std::byte**>(parity.data())));
}

void ErasureCoder::EncodeWithChecksums(std::size_t shard_len, std::span<std::byte* const> shards,
                                       std::span<std::uint64_t> sums) const {
  const auto n = static_cast<std::size_t>(total_shards());
  const auto k = static_cast<std::size_t>(data_);
  COFFER_ASSERT(shards.size() == n);
  COFFER_ASSERT(sums.size() == n);
  // 16 KiB per shard keeps a slice of every shard in L2 while it is hashed.
  constexpr std::size_t kSlice = 16 * 1024;
  std::vector<std::byte*> slice(n);
  for (std::size_t i = 0; i < n; ++i) sums[i] = 0;
  for (std::size_t off = 0; off < shard_len; off += kSlice) {
    const std::size_t len = std::min(kSlice, shard_len - off);
    for (std::size_t i = 0; i < n; ++i) slice[i] = shards[i] + off;
    Encode(len, std::span(slice).first(k), std::span(slice).subspan(k));
    for (std::size_t i = 0; i < n; ++i) {
      // CRC-64 chains: the sum of the previous slices seeds the next.
      sums[i] = crc64_ecma_refl(sums[i], reinterpret_cast<const unsigned char*>(slice[i]), len);
    }
  }
}

base::Status ErasureCoder::Reconstruct(std::size_t shard_len, std::span<std::byte* const> shards,
                                       const std::vector<bool>& present, bool data_only) const {
  const int n = total_shards();
  COFFER_ASSERT(shards.size() == static_cast<std::size_t>(n));
  COFFER_ASSERT(present.size() == static_cast<std::size_t>(n));
  std::vector<int> sources;
  std::vector<int> missing;
  for (int i = 0; i < n; ++i) {
    if (present[static_cast<std::size_t>(i)]) {
      if (static_cast<int>(sources.size()) < data_) sources.push_back(i);
    } else if (!data_only || i < data_) {
      missing.push_back(i);
    }
  }
  if (static_cast<int>(sources.size()) < data_) {
    return base::DataLoss("only " + std::to_string(sources.size()) + " of " +
                          std::to_string(data_) + " needed shards are intact");
  }
  if (missing.empty()) return base::Ok();
  const auto k = static_cast<std::size_t>(data_);
  std::vector<unsigned char> decode;
  COFFER_RETURN_IF_ERROR(DecodeMatrix(sources, missing, decode));
  std::vector<unsigned char> tables(missing.size() * k * 32);
  ec_init_tables(data_, static_cast<int>(missing.size()), decode.data(), tables.data());
  std::vector<unsigned char*> in(k);
  std::vector<unsigned char*> out(missing.size());
  for (std::size_t i = 0; i < k; ++i) {
    in[i] = reinterpret_cast<unsigned char*>(shards[static_cast<std::size_t>(sources[i])]);
  }
  for (std::size_t m = 0; m < missing.size(); ++m) {
    out[m] = reinterpret_cast<unsigned char*>(shards[static_cast<std::size_t>(missing[m])]);
  }
  ec_encode_data(static_cast<int>(shard_len), data_, static_cast<int>(missing.size()),
                 tables.data(), in.data(), out.data());
  return base::Ok();
}

base::Status ErasureCoder::DecodeMatrix(const std::vector<int>& sources,
                                        const std::vector<int>& missing,
                                        std::vector<unsigned char>& decode) const {
  const auto k = static_cast<std::size_t>(data_);
  // The rows of the generator for the surviving shards form an invertible
  // square matrix; its inverse maps the survivors back to the data shards.
  std::vector<unsigned char> sub(k * k);
  std::vector<unsigned char> inverse(k * k);
  for (std::size_t r = 0; r < k; ++r) {
    for (std::size_t c = 0; c < k; ++c) {
      sub[r * k + c] = matrix_[static_cast<std::size_t>(sources[r]) * k + c];
    }
  }
  if (gf_invert_matrix(sub.data(), inverse.data(), data_) != 0) {
    return base::Internal("erasure submatrix is singular");
  }
  // Each missing shard is a row over the survivors: for a data shard the row
  // of the inverse, for a parity shard its generator row times the inverse.
  decode.assign(missing.size() * k, 0);
  for (std::size_t m = 0; m < missing.size(); ++m) {
    const auto row = static_cast<std::size_t>(missing[m]);
    for (std::size_t c = 0; c < k; ++c) {
      if (row < k) {
        decode[m * k + c] = inverse[row * k + c];
        continue;
      }
      unsigned char acc = 0;
      for (std::size_t j = 0; j < k; ++j) acc ^= gf_mul(matrix_[row * k + j], inverse[j * k + c]);
      decode[m * k + c] = acc;
    }
  }
  return base::Ok();
}

}  // namespace coffer::core::storage
