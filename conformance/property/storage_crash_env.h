#pragma once
// An Env wrapper that "kills the process" after a given number of mutating
// drive operations: from then on every drive call fails and changes nothing,
// as if the process had died there. The wrapped Env's disks keep what reached
// them, so a test can restart on the same disks.

#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include "coffer/env/env.h"

namespace coffer::core::storage {

class CrashEnv final : public env::Env {
 public:
  explicit CrashEnv(env::Env& inner) : inner_(inner), state_(std::make_shared<State>()) {}

  base::Clock& clock() override { return inner_.clock(); }
  base::Random& random() override { return inner_.random(); }
  env::Scheduler& scheduler() override { return inner_.scheduler(); }
  env::Faults& faults() override { return inner_.faults(); }
  env::Logger& log() override { return inner_.log(); }
  base::Result<std::unique_ptr<env::Drive>> OpenDrive(std::string_view location) override {
    COFFER_ASSIGN_OR_RETURN(auto drive, inner_.OpenDrive(location));
    return std::unique_ptr<env::Drive>(std::make_unique<CrashDrive>(std::move(drive), state_));
  }

  // Allows `n` more mutating operations, then crashes.
  void CrashAfter(std::uint64_t n) { state_->budget = n; }
  std::uint64_t operations() const { return state_->operations; }

 private:
  struct State {
    std::uint64_t budget = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t operations = 0;
    bool dead = false;
    // Returns false once the process is "dead".
    bool Step() {
      if (dead) return false;
      if (budget == 0) {
        dead = true;
        return false;
      }
      --budget;
      ++operations;
      return true;
    }
  };

  static base::Error Dead() { return base::Unavailable("process crashed (test)"); }

  class CrashWriter final : public env::FileWriter {
   public:
    CrashWriter(std::unique_ptr<env::FileWriter> inner, std::shared_ptr<State> state)
        : inner_(std::move(inner)), state_(std::move(state)) {}
    base::Status Append(std::span<const std::byte> data) override {
      if (!state_->Step()) return Dead();
      return inner_->Append(data);
    }
    base::Status Commit() override {
      if (!state_->Step()) return Dead();
      return inner_->Commit();
    }

   private:
    std::unique_ptr<env::FileWriter> inner_;
    std::shared_ptr<State> state_;
  };

  class CrashDrive final : public env::Drive {
   public:
    CrashDrive(std::unique_ptr<env::Drive> inner, std::shared_ptr<State> state)
        : inner_(std::move(inner)), state_(std::move(state)) {}
    const std::string& Name() const override { return inner_->Name(); }
    base::Result<std::string> ReadAll(std::string_view path) override {
      if (state_->dead) return Dead();
      return inner_->ReadAll(path);
    }
    base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                     std::span<std::byte> out) override {
      if (state_->dead) return Dead();
      return inner_->ReadAt(path, offset, out);
    }
    base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) override {
      if (!state_->Step()) return Dead();
      return inner_->WriteAtomic(path, data);
    }
    base::Result<std::unique_ptr<env::FileWriter>> CreateWriter(std::string_view path) override {
      if (!state_->Step()) return Dead();
      COFFER_ASSIGN_OR_RETURN(auto w, inner_->CreateWriter(path));
      return std::unique_ptr<env::FileWriter>(std::make_unique<CrashWriter>(std::move(w), state_));
    }
    base::Status Rename(std::string_view from, std::string_view to) override {
      if (!state_->Step()) return Dead();
      return inner_->Rename(from, to);
    }
    base::Result<std::vector<std::string>> List(std::string_view dir) override {
      if (state_->dead) return Dead();
      return inner_->List(dir);
    }
    base::Status Remove(std::string_view path) override {
      if (!state_->Step()) return Dead();
      return inner_->Remove(path);
    }
    base::Status RemoveAll(std::string_view path) override {
      if (!state_->Step()) return Dead();
      return inner_->RemoveAll(path);
    }
    base::Result<env::FileInfo> Stat(std::string_view path) override {
      if (state_->dead) return Dead();
      return inner_->Stat(path);
    }
    base::Status Sync(std::string_view path) override {
      if (!state_->Step()) return Dead();
      return inner_->Sync(path);
    }
    base::Result<env::DriveUsage> Usage() override {
      if (state_->dead) return Dead();
      return inner_->Usage();
    }

   private:
    std::unique_ptr<env::Drive> inner_;
    std::shared_ptr<State> state_;
  };

  env::Env& inner_;
  std::shared_ptr<State> state_;
};

}  // namespace coffer::core::storage
