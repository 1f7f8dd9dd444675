#include "common.h"

#include <cstdio>

#include <openssl/evp.h>

#include "coffer/base/assert.h"
#include "coffer/core/auth/crypto.h"

namespace coffer::sim::workloads {

std::string Body(SeededRandom& rng, std::size_t n) {
  std::string out(n, '\0');
  rng.Fill(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

std::string Md5Base64(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return core::auth::Base64Encode(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string SecretOf(const std::string& user) {
  std::string s = "sim-secret-" + user + "-";
  while (s.size() < 40) s += 'x';
  return s;
}

void CommitAndReconcile(World& world, std::map<std::string, std::string> files,
                        const std::string& author) {
  files.emplace("appliance.toml", kRootToml);
  for (const auto& [path, text] : world.options().repo_files) files[path] = text;
  world.repo().Commit(author, std::move(files));
  const auto pass = world.Reconcile();
  // A workload's own config is valid by construction: a failure here is a
  // simulator bug or a broken scenario file, not a finding.
  if (!pass.applied) {
    std::fprintf(stderr, "coffer-sim: a workload's config did not apply: %s\n", pass.error.c_str());
    COFFER_ASSERT(pass.applied);
  }
}

void Advance(World& world, std::chrono::nanoseconds d) {
  auto& env = world.env();
  env.events().RunUntil(env.virtual_clock().Monotonic() + d);
}

Request Get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

Request Put(std::string target, std::string body) {
  Request r;
  r.method = "PUT";
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

}  // namespace coffer::sim::workloads

namespace coffer::sim::workloads {

SendOptions As(Credentials credentials, std::string service) {
  SendOptions o;
  o.credentials = std::move(credentials);
  o.service = std::move(service);
  return o;
}

}  // namespace coffer::sim::workloads
