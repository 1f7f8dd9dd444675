#pragma once
// Reed-Solomon erasure coding of one block over ISA-L, plus the bitrot
// checksum of shard chunks. A block of B bytes is cut into `data` shards of
// ShardSize(B) bytes (the last one zero-padded) and `parity` shards are
// computed from them; any `data` of the `data + parity` shards rebuild the
// block. The coding matrix is ISA-L's Cauchy matrix, so every square submatrix
// is invertible and any loss of up to `parity` shards is recoverable.
//
// Bitrot checksum: CRC-64 (ECMA-182, reflected) from ISA-L. It is computed
// before a shard chunk is written and verified after every read (a pair
// assertion in the STYLE sense). It detects every burst of up to 64 bits and
// any other corruption with probability 1 - 2^-64; it is not a MAC, and does
// not need to be: drives are inside the trust boundary, bitrot is random.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::core::storage {

// Bytes of the checksum stored after each shard chunk.
inline constexpr std::size_t kChecksumSizeBytes = 8;

// Returns the bitrot checksum of `data`. Thread-safe.
std::uint64_t ShardChecksum(std::span<const std::byte> data);

// Immutable after creation; Encode and Reconstruct are thread-safe.
class ErasureCoder {
 public:
  // Returns a coder for `data` + `parity` shards; kInvalidArgument unless
  // 1 <= data, 1 <= parity and data + parity <= 32.
  static base::Result<ErasureCoder> Create(int data, int parity);

  int data_shards() const { return data_; }
  int parity_shards() const { return parity_; }
  int total_shards() const { return data_ + parity_; }

  // Returns the shard size for a block of `block_len` bytes: ceil(len / data).
  std::size_t ShardSize(std::size_t block_len) const {
    return (block_len + static_cast<std::size_t>(data_) - 1) / static_cast<std::size_t>(data_);
  }

  // Computes the parity shards from the data shards, all `shard_len` bytes.
  // `data` has data_shards() pointers, `parity` parity_shards().
  void Encode(std::size_t shard_len, std::span<std::byte* const> data,
              std::span<std::byte* const> parity) const;

  // Encode, plus the bitrot checksum of every shard (data and parity) into
  // `sums` (total_shards() entries). Works in slices that stay in cache, so
  // the checksum reads bytes the coder has just touched; the sums equal
  // ShardChecksum of each whole shard. `shards` has total_shards() pointers.
  void EncodeWithChecksums(std::size_t shard_len, std::span<std::byte* const> shards,
                           std::span<std::uint64_t> sums) const;

  // Rebuilds the shards whose `present` flag is false, in place (only the
  // data shards when `data_only`, which is all a read needs). `shards` has
  // total_shards() pointers of `shard_len` bytes each. Returns kDataLoss when
  // fewer than data_shards() shards are present.
  base::Status Reconstruct(std::size_t shard_len, std::span<std::byte* const> shards,
                           const std::vector<bool>& present, bool data_only = false) const;

 private:
  ErasureCoder(int data, int parity);
  // Fills `decode` with one row per missing shard over the `sources`.
  base::Status DecodeMatrix(const std::vector<int>& sources, const std::vector<int>& missing,
                            std::vector<unsigned char>& decode) const;

  int data_;
  int parity_;
  // (data + parity) x data generator matrix; the top is the identity.
  std::vector<unsigned char> matrix_;
  // ISA-L's expanded tables for the parity rows.
  std::vector<unsigned char> encode_tables_;
};

}  // namespace coffer::core::storage
