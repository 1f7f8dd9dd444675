#pragma once
// An in-memory disk and the Drive view over it. The disk (SimDisk) outlives
// the process that uses it, so a scenario can "crash" the appliance, drop every
// Drive, and open the same disks again. Faults, fired through SimFaults:
//
//   drive.read.eio      a read fails with kDataLoss (EIO)
//   drive.write.eio     a write fails with kUnavailable and changes nothing
//   drive.write.torn    a lying disk: the final file holds a prefix of the new
//                       bytes and the write reports kUnavailable
//   drive.write.bitflip the write succeeds but one bit of it rots at rest
//   drive.full          a write fails with kResourceExhausted
//   drive.vanish        the file disappears just before a read (kNotFound)
//   drive.slow          the operation takes 1..500 ms of virtual time
//
// Plus direct controls for tests and scenarios: capacity, offline, and
// FlipBitForTest / TruncateForTest / RemoveForTest on stored files.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "coffer/env/drive.h"
#include "coffer/sim/seeded_random.h"
#include "coffer/sim/sim_faults.h"
#include "coffer/sim/trace.h"
#include "coffer/sim/virtual_clock.h"

namespace coffer::sim {

struct SimDisk {
  std::string name;
  std::map<std::string, std::string, std::less<>> files;
  std::set<std::string, std::less<>> dirs;  // Explicit directories (parents are implied).
  std::uint64_t capacity_bytes = std::uint64_t{1} << 40;
  bool offline = false;

  std::uint64_t UsedBytes() const;
};

// What a drive needs from its simulated world.
struct SimWorld {
  VirtualClock& clock;
  SimFaults& faults;
  Trace& trace;
  SeededRandom& random;  // For fault details (which bit, how long a prefix).
};

// Returns a Drive over `disk`. The disk must outlive the drive.
std::unique_ptr<env::Drive> MakeSimDrive(std::shared_ptr<SimDisk> disk, SimWorld world);

// Test and scenario controls. Return false when the file does not exist.
bool FlipBitForTest(SimDisk& disk, const std::string& path, std::uint64_t bit);
bool TruncateForTest(SimDisk& disk, const std::string& path, std::uint64_t size);

}  // namespace coffer::sim
