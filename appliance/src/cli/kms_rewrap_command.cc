// `coffer kms rewrap`: key rotation for stored objects (issue #9).

#include "kms_rewrap_command.h"

#include <cstdio>
#include <string>

#include <boost/asio/io_context.hpp>

#include "coffer/core/kms/local_key_service.h"
#include "coffer/core/sse/engine.h"
#include "coffer/core/sse/metadata.h"
#include "coffer/core/sse/rewrap.h"
#include "coffer/core/storage/erasure_set.h"
#include "coffer/posix/posix_env.h"

#include "data_layout.h"
#include "kms_command.h"
#include "options.h"

namespace coffer::cli {

int RunKmsRewrap(const Args& args) {
  std::string data = "./coffer-data";
  std::string bucket;
  int drives = kDefaultDriveCount;
  bool verbose = false;
  KeyServiceConfig config;
  po::options_description desc("coffer kms rewrap");
  desc.add_options()("data", po::value(&data)->default_value(data),
                     "data folder whose drive1..N hold the objects")(
      "drives", po::value(&drives)->default_value(drives), "number of drives in the set")(
      "bucket", po::value(&bucket), "only this bucket (default: every bucket)")(
      "verbose", po::bool_switch(&verbose),
      "print each version rewritten, with its key and key versions when known")(
      "server", po::value(&config.address), "KES server HOST:PORT (default: in-process store)")(
      "client-cert", po::value(&config.client_cert_file), "client certificate (PEM)")(
      "client-key", po::value(&config.client_key_file), "its private key (PEM)")(
      "ca", po::value(&config.ca_file), "CA (PEM) of the KES server")(
      "keys", po::value(&config.keys_dir), "in-process keys dir (default DATA/kms)")(
      "root-key", po::value(&config.root_key_file), "its root key (default DATA/kms.key)")(
      "seal-key", po::value(&config.seal_key_file), "seal.key that opens a sealed root key");
  po::variables_map vm;
  if (auto exit = ParseFlags("coffer kms rewrap", desc, args, vm)) return *exit;
  if (drives < 2 || drives > 32) {
    std::fprintf(stderr, "coffer kms rewrap: --drives must be between 2 and 32\n");
    return 2;
  }
  if (config.keys_dir.empty()) config.keys_dir = data + "/kms";
  if (config.root_key_file.empty()) config.root_key_file = data + "/kms.key";
  // Rotation never creates a root key: a missing one means the wrong folder.
  config.create_root_key = false;
  config.refresh_store = false;

  boost::asio::io_context io;
  posix::PosixEnv env(io, env::LogLevel::kWarn);
  auto service = OpenKeyService(config, env);
  if (!service) {
    std::fprintf(stderr, "coffer kms rewrap: %s\n", service.error().ToString().c_str());
    return 1;
  }
  core::storage::ErasureSetOptions options;
  options.drive_locations = DriveFolders(data, drives);
  options.adopt_empty_drives = false;
  options.heal_on_read = false;
  auto set = core::storage::ErasureSet::Open(env, options);
  if (!set) {
    std::fprintf(stderr, "coffer kms rewrap: %s\n", set.error().ToString().c_str());
    return 1;
  }
  auto engine = core::sse::Engine::Create(env.random().LibCtx());
  if (!engine) {
    std::fprintf(stderr, "coffer kms rewrap: %s\n", engine.error().ToString().c_str());
    return 1;
  }
  core::sse::RewrapObserver observer;
  if (verbose) {
    observer = [](const core::storage::ObjectInfo& v, const core::sse::Metadata& before,
                  const core::sse::Metadata& after) {
      // Versions are readable in ciphertexts of Coffer's own key service; a
      // foreign KES's are opaque ("?").
      auto version = [](const std::string& ciphertext) {
        auto n = core::kms::LocalKeyService::CiphertextVersion(ciphertext);
        return n.has_value() ? "v" + std::to_string(*n) : std::string("?");
      };
      std::printf("%s/%s?versionId=%s: %s %s -> %s\n", v.bucket.c_str(), v.key.c_str(),
                  v.version_id.c_str(), after.key_name.c_str(),
                  version(before.data_key_ciphertext).c_str(),
                  version(after.data_key_ciphertext).c_str());
    };
  }
  auto report = core::sse::RewrapObjects(**set, **engine, **service, bucket, observer);
  if (!report) {
    std::fprintf(stderr, "coffer kms rewrap: %s\n", report.error().ToString().c_str());
    return 1;
  }
  for (const std::string& failure : report->failures) {
    std::fprintf(stderr, "coffer kms rewrap: %s\n", failure.c_str());
  }
  std::printf("rewrap: %llu versions, %llu encrypted, %llu rewrapped, %llu skipped, %zu failed\n",
              static_cast<unsigned long long>(report->versions),
              static_cast<unsigned long long>(report->encrypted),
              static_cast<unsigned long long>(report->rewrapped),
              static_cast<unsigned long long>(report->skipped), report->failures.size());
  return report->failures.empty() ? 0 : 1;
}

}  // namespace coffer::cli
