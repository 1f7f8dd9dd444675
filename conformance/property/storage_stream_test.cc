// Streaming (issue 5): a 5 GiB object is written and read through the object
// layer in bounded memory. The drives are in memory but store each file as a
// list of shared segments, reusing the previous segment when an append
// repeats it: the body repeats every erasure block, so the shard files of a
// 5 GiB object take a few MiB, and what the process holds is the engine's own
// buffers. The test checks the bytes (MD5 ETag, every byte read back) and that
// the peak resident size grew by far less than the object.
//
// COFFER_STREAM_TEST_BYTES overrides the size (default 5 GiB).

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "coffer/base/bytes.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/posix/posix_env.h"

namespace coffer::core::storage {
namespace {

// A file as shared, immutable segments.
struct SegFile {
  std::vector<std::shared_ptr<const std::string>> segments;
  std::vector<std::uint64_t> ends;  // Cumulative size after each segment.
  std::uint64_t size() const { return ends.empty() ? 0 : ends.back(); }
  void Append(std::span<const std::byte> data) {
    if (data.empty()) return;
    const std::string_view bytes = base::AsChars(data);
    if (segments.empty() || *segments.back() != bytes) {
      segments.push_back(std::make_shared<const std::string>(bytes));
    } else {
      segments.push_back(segments.back());
    }
    ends.push_back(size() + data.size());
  }
};

struct SegDisk {
  std::map<std::string, SegFile, std::less<>> files;
};

class SegDrive final : public env::Drive {
 public:
  SegDrive(std::string name, std::shared_ptr<SegDisk> disk)
      : name_(std::move(name)), disk_(std::move(disk)) {}
  const std::string& Name() const override { return name_; }
  base::Result<std::string> ReadAll(std::string_view path) override {
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(std::string(path));
    std::string out;
    for (const auto& s : it->second.segments) out += *s;
    return out;
  }
  base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                   std::span<std::byte> out) override {
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(std::string(path));
    const SegFile& f = it->second;
    std::size_t done = 0;
    auto seg = std::upper_bound(f.ends.begin(), f.ends.end(), offset) - f.ends.begin();
    while (done < out.size() && static_cast<std::size_t>(seg) < f.segments.size()) {
      const auto i = static_cast<std::size_t>(seg);
      const std::uint64_t begin = f.ends[i] - f.segments[i]->size();
      const std::uint64_t from = offset + done - begin;
      const std::size_t n = std::min<std::size_t>(out.size() - done, f.segments[i]->size() - from);
      std::memcpy(out.data() + done, f.segments[i]->data() + from, n);
      done += n;
      ++seg;
    }
    return done;
  }
  base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) override {
    SegFile f;
    f.Append(data);
    disk_->files[std::string(path)] = std::move(f);
    return base::Ok();
  }
  base::Result<std::unique_ptr<env::FileWriter>> CreateWriter(std::string_view path) override {
    return std::unique_ptr<env::FileWriter>(std::make_unique<Writer>(*disk_, std::string(path)));
  }
  base::Status Rename(std::string_view from, std::string_view to) override {
    const std::string f(from), t(to);
    std::vector<std::pair<std::string, SegFile>> moved;
    for (auto it = disk_->files.begin(); it != disk_->files.end();) {
      if (it->first == f || it->first.starts_with(f + "/")) {
        moved.emplace_back(t + it->first.substr(f.size()), std::move(it->second));
        it = disk_->files.erase(it);
      } else {
        ++it;
      }
    }
    if (moved.empty()) return base::NotFound(f);
    for (auto& [k, v] : moved) disk_->files[k] = std::move(v);
    return base::Ok();
  }
  base::Result<std::vector<std::string>> List(std::string_view dir) override {
    const std::string prefix = dir.empty() ? "" : std::string(dir) + "/";
    std::vector<std::string> names;
    for (auto it = disk_->files.lower_bound(prefix);
         it != disk_->files.end() && it->first.starts_with(prefix); ++it) {
      const std::string rest = it->first.substr(prefix.size());
      const auto slash = rest.find('/');
      std::string name = slash == std::string::npos ? rest : rest.substr(0, slash + 1);
      if (names.empty() || names.back() != name) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (names.empty() && !dir.empty()) return base::NotFound(std::string(dir));
    return names;
  }
  base::Status Remove(std::string_view path) override {
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(std::string(path));
    disk_->files.erase(it);
    return base::Ok();
  }
  base::Status RemoveAll(std::string_view path) override {
    const std::string p(path);
    std::erase_if(disk_->files,
                  [&](const auto& kv) { return kv.first == p || kv.first.starts_with(p + "/"); });
    return base::Ok();
  }
  base::Result<env::FileInfo> Stat(std::string_view path) override {
    auto it = disk_->files.find(path);
    if (it == disk_->files.end()) return base::NotFound(std::string(path));
    return env::FileInfo{it->second.size(), false};
  }
  base::Status Sync(std::string_view) override { return base::Ok(); }
  base::Result<env::DriveUsage> Usage() override { return env::DriveUsage{1ull << 40, 1ull << 40}; }

 private:
  class Writer final : public env::FileWriter {
   public:
    Writer(SegDisk& disk, std::string path) : disk_(disk), path_(std::move(path)) {}
    base::Status Append(std::span<const std::byte> data) override {
      file_.Append(data);
      return base::Ok();
    }
    base::Status Commit() override {
      disk_.files[path_] = std::move(file_);
      return base::Ok();
    }

   private:
    SegDisk& disk_;
    std::string path_;
    SegFile file_;
  };

  std::string name_;
  std::shared_ptr<SegDisk> disk_;
};

// The production clock, randomness and scheduler, with segment drives.
class SegEnv final : public env::Env {
 public:
  base::Clock& clock() override { return inner_.clock(); }
  base::Random& random() override { return inner_.random(); }
  env::Scheduler& scheduler() override { return inner_.scheduler(); }
  env::Faults& faults() override { return inner_.faults(); }
  env::Logger& log() override { return inner_.log(); }
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view location) override {
    auto& disk = disks_[std::string(location)];
    if (!disk) disk = std::make_shared<SegDisk>();
    return std::unique_ptr<env::Drive>(std::make_unique<SegDrive>(std::string(location), disk));
  }

 private:
  boost::asio::io_context io_;
  posix::PosixEnv inner_{io_, env::LogLevel::kWarn};
  std::map<std::string, std::shared_ptr<SegDisk>> disks_;
};

constexpr std::size_t kPeriod = 1 << 20;  // The erasure block size.

const std::string& Pattern() {
  static const std::string pattern = [] {
    std::string p(kPeriod, '\0');
    std::uint32_t x = 7;
    for (char& c : p) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 24);
    }
    return p;
  }();
  return pattern;
}

// `size` bytes of the repeating pattern, in the odd-sized reads an HTTP body
// would arrive in.
class PatternSource final : public BodySource {
 public:
  explicit PatternSource(std::uint64_t size) : left_(size) {}
  base::Result<std::size_t> Read(std::span<std::byte> out) override {
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>({left_, out.size(), 100003, kPeriod - at_}));
    std::memcpy(out.data(), Pattern().data() + at_, n);
    at_ = (at_ + n) % kPeriod;
    left_ -= n;
    return n;
  }

 private:
  std::uint64_t left_;
  std::size_t at_ = 0;
};

// Checks every byte against the pattern without keeping any.
class PatternSink final : public ObjectSink {
 public:
  base::Status Write(std::span<const std::byte> data) override {
    const char* p = reinterpret_cast<const char*>(data.data());
    std::size_t left = data.size();
    while (left > 0) {
      const std::size_t n = std::min(left, kPeriod - at_);
      if (std::memcmp(p, Pattern().data() + at_, n) != 0) mismatch_ = true;
      at_ = (at_ + n) % kPeriod;
      p += n;
      left -= n;
      received_ += n;
    }
    return base::Ok();
  }
  std::uint64_t received() const { return received_; }
  bool mismatch() const { return mismatch_; }

 private:
  std::size_t at_ = 0;
  std::uint64_t received_ = 0;
  bool mismatch_ = false;
};

long PeakRssKib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

std::string ExpectedMd5(std::uint64_t size) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  for (std::uint64_t done = 0; done < size; done += kPeriod) {
    EVP_DigestUpdate(ctx, Pattern().data(), std::min<std::uint64_t>(kPeriod, size - done));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx, out, &n);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex.push_back(kHex[out[i] >> 4]);
    hex.push_back(kHex[out[i] & 15]);
  }
  return hex;
}

TEST(StorageStream, FiveGibObjectStreamsInBoundedMemory) {
  std::uint64_t size = 5ull << 30;
  if (const char* v = std::getenv("COFFER_STREAM_TEST_BYTES")) size = std::strtoull(v, nullptr, 10);
  SegEnv env;
  ErasureSetOptions options;
  for (int i = 0; i < 4; ++i) options.drive_locations.push_back("d" + std::to_string(i));
  options.block_size_bytes = kPeriod;
  auto set = ErasureSet::Open(env, options);
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  ASSERT_TRUE((*set)->MakeBucket("bkt1").has_value());
  const std::string md5 = ExpectedMd5(size);
  Pattern();
  const long before = PeakRssKib();

  PatternSource body(size);
  PutOptions put;
  put.size_bytes = size;
  auto info = (*set)->PutObject("bkt1", "huge", body, put);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->size_bytes, size);
  EXPECT_EQ(info->etag, md5);

  PatternSink sink;
  auto got = (*set)->GetObject("bkt1", "huge", {}, sink);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(sink.received(), size);
  EXPECT_FALSE(sink.mismatch());

  // A range read in the middle, across blocks.
  PatternSink range_sink;
  GetOptions range;
  range.offset = size / 2 - (size / 2) % kPeriod;
  range.length = 3 * kPeriod + 17;
  ASSERT_TRUE((*set)->GetObject("bkt1", "huge", range, range_sink).has_value());
  EXPECT_EQ(range_sink.received(), 3 * kPeriod + 17);
  EXPECT_FALSE(range_sink.mismatch());

  const long grown_kib = PeakRssKib() - before;
  // The engine holds one block, its shards and the repeated segments (a few
  // MiB); anything that grew with the object would show as gigabytes.
  EXPECT_LT(grown_kib, 64 * 1024) << "peak RSS grew by " << grown_kib << " KiB for a " << size
                                  << "-byte object";
  std::printf("object %llu bytes: peak RSS grew by %ld KiB\n",
              static_cast<unsigned long long>(size), grown_kib);
}

}  // namespace
}  // namespace coffer::core::storage
