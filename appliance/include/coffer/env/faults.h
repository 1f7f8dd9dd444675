#pragma once
// Fault injection points. Production binds Faults to an inert implementation
// (Fire always returns false); the simulator fires each named point with a
// per-seed probability, so rare failure paths run in every swarm.
//
//   if (COFFER_FAULT(env_, "drive.write.torn")) { ... }

#include <string_view>

namespace coffer::env {

class Faults {
 public:
  virtual ~Faults() = default;

  // Returns true when the fault named `point` should happen now.
  virtual bool Fire(std::string_view point) = 0;
};

// Never fires: the production binding.
class NoFaults final : public Faults {
 public:
  bool Fire(std::string_view /*point*/) override { return false; }
};

}  // namespace coffer::env

#define COFFER_FAULT(env, point) ((env).faults().Fire(point))
