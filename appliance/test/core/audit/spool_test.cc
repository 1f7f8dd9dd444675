#include "coffer/core/audit/spool.h"

#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "coffer/core/audit/record.h"

#include "fakes.h"

namespace coffer::core::audit {
namespace {

using testing::MemFolder;
using testing::MemSpoolDir;

std::unique_ptr<Spool> OpenSpool(const std::shared_ptr<MemFolder>& folder,
                                 SpoolOptions options = {}) {
  auto spool = Spool::Open(std::make_unique<MemSpoolDir>(folder), options);
  EXPECT_TRUE(spool.has_value()) << spool.error().message();
  return std::move(spool).value();
}

std::vector<std::string> Payloads(const std::vector<SpoolRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.payload);
  return out;
}

TEST(Record, RoundTripsAndStopsAtTheFirstBadByte) {
  std::string data;
  EncodeRecord(1, "alpha", data);
  EncodeRecord(2, "", data);
  EncodeRecord(3, std::string(1000, 'x'), data);
  DecodedSegment whole = DecodeSegment(data);
  ASSERT_EQ(whole.records.size(), 3u);
  EXPECT_EQ(whole.records[0].payload, "alpha");
  EXPECT_EQ(whole.records[1].payload, "");
  EXPECT_EQ(whole.records[2].seq, 3u);
  EXPECT_EQ(whole.torn_bytes, 0u);

  // Every truncation keeps exactly the whole records before the cut.
  for (std::size_t cut = 0; cut < data.size(); ++cut) {
    DecodedSegment d = DecodeSegment(std::string_view(data).substr(0, cut));
    EXPECT_EQ(d.valid_bytes + d.torn_bytes, cut);
    EXPECT_LE(d.records.size(), 2u);
  }
  // A flipped payload bit fails the CRC of that record only (and what follows).
  std::string flipped = data;
  flipped[kRecordHeaderBytes + 2] ^= 0x10;
  EXPECT_EQ(DecodeSegment(flipped).records.size(), 0u);
  std::string flipped_last = data;
  flipped_last[data.size() - 1] ^= 0x01;
  EXPECT_EQ(DecodeSegment(flipped_last).records.size(), 2u);
}

// The fuzz corpus was written by an independent encoder (Python, bitwise
// CRC-32C), which pins the on-disk format.
TEST(Record, DecodesTheIndependentlyEncodedCorpus) {
  std::ifstream in(std::string(COFFER_SOURCE_DIR) + "/fixtures/fuzz/audit/three-records.bin",
                   std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(data.empty());
  DecodedSegment d = DecodeSegment(data);
  ASSERT_EQ(d.records.size(), 3u);
  EXPECT_EQ(d.torn_bytes, 0u);
  EXPECT_EQ(d.records[1].payload, "");
  std::string again;
  for (const auto& r : d.records) EncodeRecord(r.seq, r.payload, again);
  EXPECT_EQ(again, data);
}

TEST(Record, RejectsSequenceNumbersThatDoNotGrow) {
  std::string data;
  EncodeRecord(5, "a", data);
  EncodeRecord(5, "b", data);
  EXPECT_EQ(DecodeSegment(data).records.size(), 1u);
}

TEST(Spool, AppendsAreDurableWhenAppendReturns) {
  auto folder = std::make_shared<MemFolder>();
  auto spool = OpenSpool(folder);
  ASSERT_EQ(*spool->Append("one", false), 1u);
  ASSERT_EQ(*spool->Append("two", false), 2u);
  folder->Crash();  // Nothing unsynced to lose.
  auto reopened = OpenSpool(folder);
  EXPECT_EQ(Payloads(reopened->Peek(10)), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(reopened->recovery().torn_bytes, 0u);
}

TEST(Spool, RecoveryDropsOnlyATornTailAndNewRecordsGoToANewSegment) {
  auto folder = std::make_shared<MemFolder>();
  {
    auto spool = OpenSpool(folder);
    ASSERT_TRUE(spool->Append("acknowledged", false).has_value());
  }
  // A record whose write was torn: appended but never synced, then a crash
  // that kept 7 bytes of it.
  {
    std::lock_guard lock(folder->mu);
    std::string torn;
    EncodeRecord(2, "never acknowledged", torn);
    folder->files.begin()->second.unsynced = torn;
  }
  folder->Crash(7);
  auto spool = OpenSpool(folder);
  EXPECT_EQ(spool->recovery().torn_bytes, 7u);
  EXPECT_EQ(Payloads(spool->Peek(10)), (std::vector<std::string>{"acknowledged"}));
  ASSERT_TRUE(spool->Append("after", false).has_value());
  auto again = OpenSpool(folder);
  EXPECT_EQ(Payloads(again->Peek(10)), (std::vector<std::string>{"acknowledged", "after"}));
}

TEST(Spool, CursorSurvivesRestartAndDeliveredSegmentsGo) {
  auto folder = std::make_shared<MemFolder>();
  SpoolOptions options;
  options.segment_size_bytes = 64;  // One record per segment.
  {
    auto spool = OpenSpool(folder, options);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(spool->Append(std::string(50, 'a' + i), false));
    ASSERT_TRUE(spool->Ack(3).has_value());
    EXPECT_EQ(spool->queued(), 2u);
  }
  auto spool = OpenSpool(folder, options);
  EXPECT_EQ(spool->cursor(), 3u);
  ASSERT_EQ(spool->queued(), 2u);
  EXPECT_EQ(spool->Peek(1)[0].seq, 4u);
  std::size_t segments = 0;
  for (const auto& [name, f] : folder->files) segments += name.ends_with(".seg") ? 1 : 0;
  EXPECT_EQ(segments, 2u);
  // New sequence numbers continue after the last one seen.
  EXPECT_EQ(*spool->Append("six", false), 6u);
}

TEST(Spool, ACorruptCursorIsDataLoss) {
  auto folder = std::make_shared<MemFolder>();
  folder->files["cursor"] = {"banana", ""};
  auto spool = Spool::Open(std::make_unique<MemSpoolDir>(folder), {});
  ASSERT_FALSE(spool.has_value());
  EXPECT_EQ(spool.error().code(), base::ErrorCode::kDataLoss);
}

TEST(Spool, ReservationsCountAgainstTheQueueSize) {
  auto folder = std::make_shared<MemFolder>();
  SpoolOptions options;
  options.queue_size = 2;
  auto spool = OpenSpool(folder, options);
  ASSERT_TRUE(spool->Reserve().has_value());
  ASSERT_TRUE(spool->Append("a", false).has_value());
  auto full = spool->Reserve();
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code(), base::ErrorCode::kResourceExhausted);
  EXPECT_FALSE(spool->Append("b", false).has_value());
  ASSERT_TRUE(spool->Append("b", /*reserved=*/true).has_value());
  ASSERT_TRUE(spool->Ack(1).has_value());
  EXPECT_TRUE(spool->Reserve().has_value());
}

TEST(Spool, ALowDiskRefusesReservations) {
  auto folder = std::make_shared<MemFolder>();
  auto spool = OpenSpool(folder);
  folder->free_bytes = 1000;
  auto r = spool->Reserve();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), base::ErrorCode::kResourceExhausted);
}

TEST(Spool, AFailedWriteFailsItsAppendAndTheNextGroupStartsANewSegment) {
  auto folder = std::make_shared<MemFolder>();
  auto spool = OpenSpool(folder);
  ASSERT_TRUE(spool->Append("good", false).has_value());
  folder->fail_appends = true;
  auto failed = spool->Append("lost", false);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), base::ErrorCode::kResourceExhausted);
  folder->fail_appends = false;
  ASSERT_TRUE(spool->Append("later", false).has_value());
  EXPECT_EQ(Payloads(spool->Peek(10)), (std::vector<std::string>{"good", "later"}));
  auto reopened = OpenSpool(folder);
  EXPECT_EQ(Payloads(reopened->Peek(10)), (std::vector<std::string>{"good", "later"}));
}

TEST(Spool, ConcurrentAppendersShareSyncs) {
  auto folder = std::make_shared<MemFolder>();
  auto spool = OpenSpool(folder);
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(spool->Append(std::to_string(t) + "-" + std::to_string(i), false));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(folder->syncs, kThreads * kEach);
  auto records = spool->Peek(kThreads * kEach);
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 1; i < records.size(); ++i) EXPECT_LT(records[i - 1].seq, records[i].seq);
  auto reopened = OpenSpool(folder);
  EXPECT_EQ(reopened->queued(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace coffer::core::audit
