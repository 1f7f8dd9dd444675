#pragma once
// Helpers the workloads share: config repo snippets, random picks, object
// bodies and shorthands for requests.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "coffer/sim/seeded_random.h"
#include "coffer/sim/workload.h"
#include "coffer/sim/world.h"

namespace coffer::sim::workloads {

template <typename T>
const T& Pick(SeededRandom& rng, const std::vector<T>& items) {
  return items[rng.Uniform(0, items.size() - 1)];
}

// `n` bytes that depend on `tag` (so two objects differ in their bytes).
std::string Body(SeededRandom& rng, std::size_t n);

// Base64 of the MD5 of `data` (Content-MD5, SSE-C key MD5).
std::string Md5Base64(const std::string& data);

// A user's secret in the sim (40 chars, deterministic in the name).
std::string SecretOf(const std::string& user);

// Commits `files` (with the scenario's own repo files laid over them) and
// reconciles; the pass must apply.
void CommitAndReconcile(World& world, std::map<std::string, std::string> files,
                        const std::string& author = "Ops <ops@sim>");

// Moves virtual time forward by `d`, running whatever falls due.
void Advance(World& world, std::chrono::nanoseconds d);

Request Get(std::string target);
// Send options for a client holding `credentials` (signing for `service`).
SendOptions As(Credentials credentials, std::string service = "s3");

// The workloads (registry.cc maps names to them).
std::unique_ptr<Workload> MakeAtRest();
std::unique_ptr<Workload> MakeAudit();
std::unique_ptr<Workload> MakeAuthz();
std::unique_ptr<Workload> MakeCredentials();
std::unique_ptr<Workload> MakeDurability();
std::unique_ptr<Workload> MakeEscalation();
std::unique_ptr<Workload> MakeInterception();
std::unique_ptr<Workload> MakeReplay();
std::unique_ptr<Workload> MakeRotation();
Request Put(std::string target, std::string body);

}  // namespace coffer::sim::workloads
