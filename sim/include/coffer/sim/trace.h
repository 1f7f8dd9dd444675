#pragma once
// The event trace of a simulated run: one line per event, in order, plus a
// running SHA-256 over every line. Same seed, same lines, same hash: that is
// the simulator's determinism contract, and tests compare hashes to prove it.

#include <string>
#include <string_view>
#include <vector>

namespace coffer::sim {

class Trace {
 public:
  Trace();
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Appends one event line (no newline). Not thread-safe: the simulator is
  // single-threaded by construction.
  void Add(std::string_view line);

  // Hex SHA-256 of all lines so far, each followed by '\n'.
  std::string Hash() const;

  std::size_t size() const { return count_; }
  // The lines kept in memory (all of them when keep_lines is on).
  const std::vector<std::string>& lines() const { return lines_; }
  void set_keep_lines(bool keep) { keep_lines_ = keep; }

 private:
  void* md_ctx_;  // EVP_MD_CTX*, kept opaque to keep OpenSSL out of the header.
  std::size_t count_ = 0;
  bool keep_lines_ = true;
  std::vector<std::string> lines_;
};

}  // namespace coffer::sim
