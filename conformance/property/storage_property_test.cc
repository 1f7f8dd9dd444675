// Properties of the erasure-coded storage engine on simulated drives:
// - any loss of up to parity drives (offline, missing files, truncated shards,
//   rotten bits, corrupt metadata, EIO) still reads the exact bytes;
// - parity + 1 whole-drive losses fail with an error, and partial damage never
//   yields wrong bytes;
// - a PUT stopped after any number of drive operations leaves the old object
//   or the new one after a restart, and heal then makes every shard verify;
// - healing restores full redundancy (then any parity drives can go).
// Run with RC_PARAMS="seed=N" to reproduce; rapidcheck prints the seed of a
// failing case.

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "coffer/core/storage/erasure_set.h"
#include "coffer/sim/sim_env.h"

#include "storage_crash_env.h"

namespace coffer::core::storage {
namespace {

struct Layout {
  int drives;
  int parity;
};

ErasureSetOptions Options(const std::string& prefix, Layout layout) {
  ErasureSetOptions o;
  for (int i = 0; i < layout.drives; ++i) o.drive_locations.push_back(prefix + std::to_string(i));
  o.parity_shards = layout.parity;
  o.block_size_bytes = 4096;
  o.inline_threshold_bytes = 1024;
  o.heal_on_read = false;  // The properties heal explicitly.
  return o;
}

rc::Gen<Layout> GenLayout() {
  return rc::gen::element(Layout{4, 2}, Layout{5, 2}, Layout{6, 2}, Layout{8, 2}, Layout{8, 4},
                          Layout{16, 4});
}

std::string Body(std::size_t n, std::uint64_t seed) {
  std::string s(n, '\0');
  std::uint64_t x = seed | 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

enum class Damage {
  kOffline,
  kRemoveFiles,
  kTruncateShard,
  kFlipShardBit,
  kCorruptMeta,
  kEmptyShard
};

// Damages one drive's copy of bucket/key (every file of the object there).
void Apply(sim::SimDisk& disk, Damage damage, std::uint64_t salt) {
  std::vector<std::string> shards;
  std::vector<std::string> metas;
  for (const auto& [path, content] : disk.files) {
    if (!path.starts_with("buckets/bkt1/o/")) continue;
    (path.ends_with("/xl.meta") ? metas : shards).push_back(path);
  }
  switch (damage) {
    case Damage::kOffline:
      disk.offline = true;
      return;
    case Damage::kRemoveFiles:
      for (const auto& p : shards) disk.files.erase(p);
      for (const auto& p : metas) disk.files.erase(p);
      return;
    case Damage::kTruncateShard:
      for (const auto& p : shards) sim::TruncateForTest(disk, p, salt % (disk.files[p].size() + 1));
      // Inline objects keep their shard in xl.meta.
      if (shards.empty())
        for (const auto& p : metas) sim::TruncateForTest(disk, p, salt % 64);
      return;
    case Damage::kFlipShardBit:
      for (const auto& p : shards) sim::FlipBitForTest(disk, p, salt);
      if (shards.empty())
        for (const auto& p : metas) sim::FlipBitForTest(disk, p, salt);
      return;
    case Damage::kCorruptMeta:
      for (const auto& p : metas) sim::FlipBitForTest(disk, p, salt);
      return;
    case Damage::kEmptyShard:
      for (const auto& p : shards) sim::TruncateForTest(disk, p, 0);
      if (shards.empty())
        for (const auto& p : metas) sim::TruncateForTest(disk, p, 0);
      return;
  }
}

struct World {
  explicit World(std::uint64_t seed) : env(seed, env::LogLevel::kWarn) {}
  sim::SimEnv env;
  std::unique_ptr<ErasureSet> set;
};

void OpenSet(World& w, Layout layout) {
  auto s = ErasureSet::Open(w.env, Options("disk", layout));
  RC_ASSERT(s.has_value());
  w.set = std::move(s).value();
}

base::Result<std::string> Read(ErasureSet& set, const GetOptions& o = {}) {
  StringSink sink;
  COFFER_RETURN_IF_ERROR(set.GetObject("bkt1", "obj", o, sink));
  return sink.data();
}

void PutOrDie(ErasureSet& set, const std::string& body) {
  StringSource src(body);
  auto info = set.PutObject("bkt1", "obj", src, PutOptions{});
  RC_ASSERT(info.has_value());
}

RC_GTEST_PROP(StorageProperty, UpToParityLossesReadExactBytes, ()) {
  const Layout layout = *GenLayout();
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, layout);
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  const std::size_t size = *rc::gen::inRange<std::size_t>(0, 40000);
  const std::string body = Body(size, *rc::gen::arbitrary<std::uint64_t>());
  PutOrDie(*w.set, body);
  const int losses = *rc::gen::inRange(0, layout.parity + 1);
  auto drives = *rc::gen::unique<std::vector<int>>(losses, rc::gen::inRange(0, layout.drives));
  for (const int d : drives) {
    const auto damage =
        *rc::gen::element(Damage::kOffline, Damage::kRemoveFiles, Damage::kTruncateShard,
                          Damage::kFlipShardBit, Damage::kCorruptMeta, Damage::kEmptyShard);
    Apply(*w.env.Disk("disk" + std::to_string(d)), damage, *rc::gen::arbitrary<std::uint64_t>());
  }
  auto got = Read(*w.set);
  RC_ASSERT(got.has_value());
  RC_ASSERT(*got == body);
  if (size > 0) {
    GetOptions range;
    range.offset = *rc::gen::inRange<std::uint64_t>(0, size);
    range.length = *rc::gen::inRange<std::uint64_t>(1, size - range.offset + 1);
    auto part = Read(*w.set, range);
    RC_ASSERT(part.has_value());
    RC_ASSERT(*part == body.substr(range.offset, *range.length));
  }
}

RC_GTEST_PROP(StorageProperty, ParityPlusOneWholeLossesFailAndDamageNeverLies, ()) {
  const Layout layout = *GenLayout();
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, layout);
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  const std::string body = Body(*rc::gen::inRange<std::size_t>(1, 40000), 99);
  PutOrDie(*w.set, body);
  auto drives =
      *rc::gen::unique<std::vector<int>>(layout.parity + 1, rc::gen::inRange(0, layout.drives));
  const bool whole = *rc::gen::arbitrary<bool>();
  for (const int d : drives) {
    const auto damage = whole ? *rc::gen::element(Damage::kOffline, Damage::kRemoveFiles,
                                                  Damage::kCorruptMeta, Damage::kEmptyShard)
                              : *rc::gen::element(Damage::kTruncateShard, Damage::kFlipShardBit);
    Apply(*w.env.Disk("disk" + std::to_string(d)), damage, *rc::gen::arbitrary<std::uint64_t>());
  }
  auto got = Read(*w.set);
  if (whole) RC_ASSERT(!got.has_value());
  // Partial damage may leave enough intact chunks; then the bytes must be right.
  if (got.has_value()) RC_ASSERT(*got == body);
}

RC_GTEST_PROP(StorageProperty, RandomReadFaultsNeverYieldWrongBytes, ()) {
  const Layout layout = *GenLayout();
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, layout);
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  const std::string body = Body(*rc::gen::inRange<std::size_t>(0, 30000), 5);
  PutOrDie(*w.set, body);
  w.env.sim_faults().SetRate("drive.read.eio", *rc::gen::inRange(0, 40) / 100.0);
  w.env.sim_faults().SetRate("drive.vanish", *rc::gen::inRange(0, 10) / 100.0);
  for (int i = 0; i < 5; ++i) {
    auto got = Read(*w.set);
    if (got.has_value()) RC_ASSERT(*got == body);
  }
}

RC_GTEST_PROP(StorageProperty, HealRestoresFullRedundancy, ()) {
  const Layout layout = *GenLayout();
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, layout);
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  const std::string body = Body(*rc::gen::inRange<std::size_t>(0, 30000), 11);
  PutOrDie(*w.set, body);
  const int losses = *rc::gen::inRange(1, layout.parity + 1);
  auto drives = *rc::gen::unique<std::vector<int>>(losses, rc::gen::inRange(0, layout.drives));
  for (const int d : drives) {
    const auto damage =
        *rc::gen::element(Damage::kRemoveFiles, Damage::kTruncateShard, Damage::kFlipShardBit,
                          Damage::kCorruptMeta, Damage::kEmptyShard);
    Apply(*w.env.Disk("disk" + std::to_string(d)), damage, *rc::gen::arbitrary<std::uint64_t>());
  }
  auto healed = w.set->HealAll(HealOptions{});
  RC_ASSERT(healed.has_value());
  RC_ASSERT(healed->unrecoverable == 0u);
  RC_ASSERT(healed->failed == 0u);
  auto check = w.set->HealAll(HealOptions{true});
  RC_ASSERT(check.has_value());
  RC_ASSERT(check->healthy == 1u);
  RC_ASSERT(check->objects.size() == 1u);
  RC_ASSERT(check->objects[0].actions.empty());
  // Full redundancy again: any parity drives may now go.
  auto gone = *rc::gen::unique<std::vector<int>>(layout.parity, rc::gen::inRange(0, layout.drives));
  for (const int d : gone) w.env.Disk("disk" + std::to_string(d))->offline = true;
  auto got = Read(*w.set);
  RC_ASSERT(got.has_value());
  RC_ASSERT(*got == body);
}

// A swarm of PUTs and GETs while drives fail writes (EIO, torn, full) and
// rot bits at rest: every successful read returns a body that some PUT of the
// key wrote and that was not overwritten by a later successful PUT; after the
// faults stop, a heal leaves every key readable and every shard verifying.
RC_GTEST_PROP(StorageProperty, WriteFaultSwarmKeepsOldOrNew, ()) {
  const Layout layout = *GenLayout();
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, layout);
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  auto& faults = w.env.sim_faults();
  for (const char* point : {"drive.write.eio", "drive.write.torn", "drive.full",
                            "drive.write.bitflip", "drive.read.eio"}) {
    faults.SetRate(point, *rc::gen::inRange(0, 8) / 100.0);
  }
  // Key -> bodies a read may return.
  std::map<std::string, std::set<std::string>> possible;
  const int steps = *rc::gen::inRange(5, 30);
  for (int i = 0; i < steps; ++i) {
    const std::string key = "k" + std::to_string(*rc::gen::inRange(0, 3));
    if (*rc::gen::arbitrary<bool>()) {
      const std::string body =
          Body(*rc::gen::inRange<std::size_t>(0, 12000), static_cast<std::uint64_t>(i) + 1);
      StringSource src(body);
      auto put = w.set->PutObject("bkt1", key, src, PutOptions{});
      if (put.has_value())
        possible[key] = {body};
      else
        possible[key].insert(body);
      continue;
    }
    StringSink sink;
    auto got = w.set->GetObject("bkt1", key, {}, sink);
    if (got.has_value()) {
      RC_ASSERT(possible[key].contains(sink.data()));
    }
  }
  faults.set_enabled(false);
  auto healed = w.set->HealAll(HealOptions{});
  RC_ASSERT(healed.has_value());
  auto check = w.set->HealAll(HealOptions{true});
  RC_ASSERT(check.has_value());
  for (const auto& o : check->objects) {
    // A key whose every write failed may be unrecoverable debris; the rest
    // must verify everywhere.
    if (o.outcome != HealOutcome::kHealthy && healed->unrecoverable == 0u) {
      for (const auto& h : healed->objects) {
        std::printf("heal %s: %d\n", h.key.c_str(), static_cast<int>(h.outcome));
        for (const auto& a : h.actions) std::printf("   %s\n", a.c_str());
      }
      std::printf("check %s: %d\n", o.key.c_str(), static_cast<int>(o.outcome));
      for (const auto& a : o.actions) std::printf("   %s\n", a.c_str());
    }
    if (o.outcome != HealOutcome::kHealthy) RC_ASSERT(healed->unrecoverable > 0u);
  }
  for (const auto& [key, bodies] : possible) {
    StringSink sink;
    auto got = w.set->GetObject("bkt1", key, {}, sink);
    if (got.has_value()) RC_ASSERT(bodies.contains(sink.data()));
  }
}

// Versioning against a model: random PUTs (with tags), deletes (markers),
// deletes of a version, tag updates of the latest or a given version, and
// versioning switches; after every step the latest version of each key and the
// full version listing (ids, markers and tags) match the model exactly.
// Listing matches S3's semantics over a sorted set of live keys, for keys
// from a small alphabet (so prefixes, delimiters and markers collide) with
// some longer than one 100-byte folder segment, after puts and deletes, and
// paging with next_marker joins up to the unlimited listing.
RC_GTEST_PROP(StorageProperty, ListingMatchesSortedSetModel, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, Layout{4, 2});
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  const auto gen_key = [] {
    if (*rc::gen::inRange(0, 8) == 0) {
      std::string k(*rc::gen::inRange<std::size_t>(95, 220), 'z');
      k[k.size() / 3] = '/';
      return k;
    }
    const auto len = *rc::gen::inRange<std::size_t>(1, 7);
    return *rc::gen::container<std::string>(len, rc::gen::element('a', 'b', '/', '-'));
  };
  std::set<std::string> live;
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    const std::string key = gen_key();
    if (live.count(key) && *rc::gen::inRange(0, 3) == 0) {
      RC_ASSERT(w.set->DeleteObject("bkt1", key, "").has_value());
      live.erase(key);
    } else {
      StringSource src(key);
      RC_ASSERT(w.set->PutObject("bkt1", key, src, PutOptions{}).has_value());
      live.insert(key);
    }
  }
  ListOptions o;
  o.prefix = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 3),
                                              rc::gen::element('a', 'b', '/', '-'));
  o.delimiter =
      *rc::gen::element(std::string(), std::string("/"), std::string("-"), std::string("b/"));
  o.max_keys = *rc::gen::inRange<std::uint32_t>(1, 6);
  // The model: keys in order, rolled up at the first delimiter after the prefix.
  std::vector<std::string> want_keys, want_prefixes;
  for (const std::string& k : live) {
    if (!k.starts_with(o.prefix)) continue;
    const std::size_t at =
        o.delimiter.empty() ? std::string::npos : k.find(o.delimiter, o.prefix.size());
    if (at == std::string::npos) {
      want_keys.push_back(k);
    } else {
      const std::string cp = k.substr(0, at + o.delimiter.size());
      if (want_prefixes.empty() || want_prefixes.back() != cp) want_prefixes.push_back(cp);
    }
  }
  std::vector<std::string> keys, prefixes;
  for (int page = 0; page < 200; ++page) {
    auto r = w.set->ListObjects("bkt1", o);
    RC_ASSERT(r.has_value());
    RC_ASSERT(r->objects.size() + r->common_prefixes.size() <= o.max_keys);
    for (const auto& obj : r->objects) keys.push_back(obj.key);
    for (const auto& cp : r->common_prefixes) prefixes.push_back(cp);
    if (!r->is_truncated) break;
    o.marker = r->next_marker;
  }
  RC_ASSERT(keys == want_keys);
  RC_ASSERT(prefixes == want_prefixes);
}

RC_GTEST_PROP(StorageProperty, VersioningMatchesModel, ()) {
  World w(*rc::gen::arbitrary<std::uint64_t>());
  OpenSet(w, *GenLayout());
  RC_ASSERT(w.set->MakeBucket("bkt1").has_value());
  struct Entry {
    std::string id;
    bool marker = false;
    std::string body;
    std::string tags;
  };
  std::map<std::string, std::vector<Entry>> model;  // Newest first.
  VersioningState state = VersioningState::kUnversioned;
  const int steps = *rc::gen::inRange(1, 25);
  for (int i = 0; i < steps; ++i) {
    const std::string key = "k/" + std::to_string(*rc::gen::inRange(0, 3));
    auto& versions = model[key];
    auto drop_null = [&] {
      std::erase_if(versions, [](const Entry& e) { return e.id == "null"; });
    };
    w.env.virtual_clock().Advance(std::chrono::milliseconds(1));
    switch (*rc::gen::inRange(0, 6)) {
      case 0: {
        const std::string body = Body(*rc::gen::inRange<std::size_t>(0, 6000), i + 1u);
        StringSource src(body);
        PutOptions options;
        if (*rc::gen::arbitrary<bool>()) options.tags = "put=" + std::to_string(i);
        auto put = w.set->PutObject("bkt1", key, src, options);
        RC_ASSERT(put.has_value());
        RC_ASSERT(put->tags == options.tags);
        if (state != VersioningState::kEnabled) drop_null();
        versions.insert(versions.begin(), Entry{put->version_id, false, body, options.tags});
        break;
      }
      case 3: {
        const std::string tags = "tag=" + std::to_string(i);
        const bool latest = versions.empty() || *rc::gen::arbitrary<bool>();
        const std::size_t at = latest ? 0 : *rc::gen::inRange<std::size_t>(0, versions.size());
        auto tagged = w.set->PutObjectTags("bkt1", key, latest ? "" : versions[at].id, tags);
        if (versions.empty()) {
          RC_ASSERT(!tagged.has_value());
          RC_ASSERT(tagged.error().code() == base::ErrorCode::kNotFound);
        } else if (versions[at].marker) {
          RC_ASSERT(!tagged.has_value());
          RC_ASSERT(tagged.error().code() ==
                    (latest ? base::ErrorCode::kNotFound : base::ErrorCode::kInvalidArgument));
        } else {
          RC_ASSERT(tagged.has_value());
          RC_ASSERT(tagged->tags == tags);
          RC_ASSERT(tagged->version_id == versions[at].id);
          RC_ASSERT(tagged->is_latest == (at == 0));
          versions[at].tags = tags;
        }
        break;
      }
      case 1: {
        auto del = w.set->DeleteObject("bkt1", key, "");
        RC_ASSERT(del.has_value());
        if (state == VersioningState::kUnversioned) {
          drop_null();
        } else {
          RC_ASSERT(del->delete_marker);
          if (state == VersioningState::kSuspended) drop_null();
          versions.insert(versions.begin(), Entry{del->version_id, true, "", ""});
        }
        break;
      }
      case 2: {
        if (versions.empty()) break;
        const auto at = *rc::gen::inRange<std::size_t>(0, versions.size());
        RC_ASSERT(w.set->DeleteObject("bkt1", key, versions[at].id).has_value());
        versions.erase(versions.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      }
      default: {
        const auto next = *rc::gen::element(VersioningState::kEnabled, VersioningState::kSuspended);
        if (state == VersioningState::kUnversioned && next == VersioningState::kSuspended) break;
        RC_ASSERT(w.set->SetBucketVersioning("bkt1", next).has_value());
        state = next;
        break;
      }
    }
    StringSink sink;
    auto got = w.set->GetObject("bkt1", key, {}, sink);
    if (versions.empty() || versions.front().marker) {
      RC_ASSERT(!got.has_value());
      RC_ASSERT(got.error().code() == base::ErrorCode::kNotFound);
    } else {
      RC_ASSERT(got.has_value());
      RC_ASSERT(sink.data() == versions.front().body);
      RC_ASSERT(got->tags == versions.front().tags);
    }
    auto listed = w.set->ListObjectVersions("bkt1", {});
    RC_ASSERT(listed.has_value());
    std::vector<std::string> want, have;
    for (const auto& [k, vs] : model) {
      for (const Entry& e : vs) {
        want.push_back(k + " " + e.id + (e.marker ? " marker" : "") + " [" + e.tags + "]");
      }
    }
    for (const ObjectInfo& o : listed->versions) {
      have.push_back(o.key + " " + o.version_id + (o.delete_marker ? " marker" : "") + " [" +
                     o.tags + "]");
    }
    RC_ASSERT(have == want);
  }
}

// Counts drive operations of one PUT, then replays it stopping after each
// count, restarts on the same disks and checks old-or-new.
TEST(StorageCrash, PutStoppedAtEveryStepLeavesOldOrNew) {
  for (const Layout layout : {Layout{4, 2}, Layout{6, 2}}) {
    for (const std::size_t new_size : {std::size_t{500}, std::size_t{9000}}) {
      const std::string old_body = Body(7000, 1);
      const std::string new_body = Body(new_size, 2);
      std::uint64_t total = 0;
      {
        World w(1);
        CrashEnv crash(w.env);
        auto set = ErasureSet::Open(crash, Options("disk", layout));
        ASSERT_TRUE(set.has_value());
        ASSERT_TRUE((*set)->MakeBucket("bkt1").has_value());
        PutOrDie(**set, old_body);
        const std::uint64_t before = crash.operations();
        PutOrDie(**set, new_body);
        total = crash.operations() - before;
      }
      ASSERT_GT(total, 5u);
      for (std::uint64_t stop = 0; stop <= total; ++stop) {
        World w(1);
        std::string outcome;
        {
          CrashEnv crash(w.env);
          auto set = ErasureSet::Open(crash, Options("disk", layout));
          ASSERT_TRUE(set.has_value());
          ASSERT_TRUE((*set)->MakeBucket("bkt1").has_value());
          PutOrDie(**set, old_body);
          crash.CrashAfter(stop);
          StringSource src(new_body);
          (void)(*set)->PutObject("bkt1", "obj", src, PutOptions{});
        }
        // Restart: a fresh set over the same disks, no crash.
        auto set = ErasureSet::Open(w.env, Options("disk", layout));
        ASSERT_TRUE(set.has_value()) << stop;
        auto got = Read(**set);
        if (!got.has_value()) {
          for (const auto& loc : Options("disk", layout).drive_locations) {
            for (const auto& [path, c] : w.env.Disk(loc)->files) {
              std::printf("%s %s %zu\n", loc.c_str(), path.c_str(), c.size());
            }
          }
        }
        ASSERT_TRUE(got.has_value()) << "stop " << stop << ": " << got.error().ToString();
        ASSERT_TRUE(*got == old_body || *got == new_body) << "stop " << stop;
        auto healed = (*set)->HealAll(HealOptions{});
        ASSERT_TRUE(healed.has_value());
        auto check = (*set)->HealAll(HealOptions{true});
        ASSERT_TRUE(check.has_value());
        EXPECT_EQ(check->healthy, 1u) << "stop " << stop;
        auto after = Read(**set);
        ASSERT_TRUE(after.has_value());
        EXPECT_EQ(*after, *got) << "heal changed the visible version at stop " << stop;
        for (const auto& loc : Options("disk", layout).drive_locations) {
          for (const auto& [path, c] : w.env.Disk(loc)->files) {
            EXPECT_FALSE(path.starts_with(".coffer.sys/staging")) << path;
          }
        }
      }
    }
  }
}

// A tag update stopped after any number of drive operations leaves the old
// tags or the new ones after a restart, never the data changed; heal then
// makes every copy agree without changing the visible tags.
TEST(StorageCrash, TagUpdateStoppedAtEveryStepLeavesOldOrNewTags) {
  for (const Layout layout : {Layout{4, 2}, Layout{6, 2}}) {
    for (const std::size_t size : {std::size_t{500}, std::size_t{9000}}) {
      const std::string body = Body(size, 5);
      PutOptions options;
      options.tags = "old=1";
      options.headers = {{"content-encoding", "gzip"}};
      std::uint64_t total = 0;
      {
        World w(1);
        CrashEnv crash(w.env);
        auto set = ErasureSet::Open(crash, Options("disk", layout));
        ASSERT_TRUE(set.has_value());
        ASSERT_TRUE((*set)->MakeBucket("bkt1").has_value());
        StringSource src(body);
        ASSERT_TRUE((*set)->PutObject("bkt1", "obj", src, options).has_value());
        const std::uint64_t before = crash.operations();
        ASSERT_TRUE((*set)->PutObjectTags("bkt1", "obj", "", "new=1").has_value());
        total = crash.operations() - before;
      }
      ASSERT_GT(total, 3u);
      for (std::uint64_t stop = 0; stop <= total; ++stop) {
        World w(1);
        {
          CrashEnv crash(w.env);
          auto set = ErasureSet::Open(crash, Options("disk", layout));
          ASSERT_TRUE(set.has_value());
          ASSERT_TRUE((*set)->MakeBucket("bkt1").has_value());
          StringSource src(body);
          ASSERT_TRUE((*set)->PutObject("bkt1", "obj", src, options).has_value());
          crash.CrashAfter(stop);
          (void)(*set)->PutObjectTags("bkt1", "obj", "", "new=1");
        }
        auto set = ErasureSet::Open(w.env, Options("disk", layout));
        ASSERT_TRUE(set.has_value()) << stop;
        StringSink sink;
        auto got = (*set)->GetObject("bkt1", "obj", {}, sink);
        ASSERT_TRUE(got.has_value()) << "stop " << stop << ": " << got.error().ToString();
        EXPECT_EQ(sink.data(), body) << "stop " << stop;
        EXPECT_TRUE(got->tags == "old=1" || got->tags == "new=1") << "stop " << stop;
        EXPECT_EQ(got->headers, options.headers) << "stop " << stop;
        ASSERT_TRUE((*set)->HealAll(HealOptions{}).has_value());
        auto check = (*set)->HealAll(HealOptions{true});
        ASSERT_TRUE(check.has_value());
        EXPECT_EQ(check->healthy, 1u) << "stop " << stop;
        auto after = (*set)->StatObject("bkt1", "obj", "");
        ASSERT_TRUE(after.has_value());
        EXPECT_EQ(after->tags, got->tags) << "heal changed the visible tags at stop " << stop;
      }
    }
  }
}

TEST(StorageSim, EmptiedDriveIsAdoptedAndRebuiltInTheBackground) {
  World w(3);
  const Layout layout{6, 2};
  OpenSet(w, layout);
  ASSERT_TRUE(w.set->MakeBucket("bkt1").has_value());
  const std::string body = Body(20000, 3);
  PutOrDie(*w.set, body);
  w.set.reset();
  w.env.Disk("disk4")->files.clear();
  w.env.Disk("disk4")->dirs.clear();
  OpenSet(w, layout);
  bool replaced = false;
  for (const auto& d : w.set->Drives()) replaced |= d.state == DriveState::kReplaced;
  EXPECT_TRUE(replaced);
  w.env.events().RunUntilIdle();
  auto check = w.set->HealAll(HealOptions{true});
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->healthy, 1u);
  EXPECT_TRUE(check->bucket_actions.empty());
  w.env.Disk("disk0")->offline = true;
  w.env.Disk("disk1")->offline = true;
  EXPECT_EQ(*Read(*w.set), body);
}

TEST(StorageSim, StreamsAnObjectManyBlocksLongInBoundedBuffers) {
  World w(4);
  OpenSet(w, Layout{4, 2});
  ASSERT_TRUE(w.set->MakeBucket("bkt1").has_value());
  // A generated body: the source never holds more than one read's worth.
  class Counting final : public BodySource {
   public:
    explicit Counting(std::uint64_t n) : left_(n) {}
    base::Result<std::size_t> Read(std::span<std::byte> out) override {
      const std::size_t n = std::min<std::uint64_t>(out.size(), left_);
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>((pos_ + i) % 251);
      pos_ += n;
      left_ -= n;
      return n;
    }
    std::uint64_t pos_ = 0, left_;
  };
  Counting src(3u << 20);
  ASSERT_TRUE(w.set->PutObject("bkt1", "obj", src, PutOptions{}).has_value());
  class Checking final : public ObjectSink {
   public:
    base::Status Write(std::span<const std::byte> data) override {
      for (const std::byte b : data) {
        if (b != static_cast<std::byte>(pos_ % 251)) return base::DataLoss("wrong byte");
        ++pos_;
      }
      max_chunk_ = std::max(max_chunk_, data.size());
      return base::Ok();
    }
    std::uint64_t pos_ = 0;
    std::size_t max_chunk_ = 0;
  };
  Checking sink;
  ASSERT_TRUE(w.set->GetObject("bkt1", "obj", {}, sink).has_value());
  EXPECT_EQ(sink.pos_, 3u << 20);
  EXPECT_LE(sink.max_chunk_, 4096u);
}

}  // namespace
}  // namespace coffer::core::storage
