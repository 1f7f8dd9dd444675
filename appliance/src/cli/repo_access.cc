#include "repo_access.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "coffer/state/seal.h"

namespace coffer::cli {

namespace fs = std::filesystem;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes a new file readable only by its owner; fails if it exists.
bool WritePrivateFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  return ok;
}

// The master key from KEYDIR/master.key; when missing, a new one (written only if `create`).
base::Result<state::MasterKey> MasterKeyFor(const std::string& key_dir, base::Random& random,
                                            bool create) {
  std::string path = (fs::path(key_dir) / "master.key").string();
  if (std::optional<std::string> text = ReadFile(path)) {
    while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    std::optional<std::string> raw = state::Base64Decode(*text);
    if (!raw) return base::InvalidArgument(path + " is not a base64 master key");
    return state::MasterKey::FromBytes(base::Secret(*std::move(raw)), random.LibCtx());
  }
  state::MasterKey key = state::MasterKey::Generate(random);
  if (create) {
    std::error_code ec;
    fs::create_directories(key_dir, ec);
    if (!WritePrivateFile(path, state::Base64Encode(key.bytes().Reveal()) + "\n")) {
      return base::FailedPrecondition("cannot create " + path);
    }
  }
  return key;
}

state::StandardSecretResolver ResolverFor(const std::string& dir, const std::string& key_dir,
                                          base::Random& random) {
  state::SecretSources sources;
  sources.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  sources.read_file = [dir](const std::string& path) -> base::Result<std::string> {
    fs::path p(path);
    if (p.is_relative()) p = fs::path(dir) / p;
    std::optional<std::string> text = ReadFile(p.string());
    if (!text) return base::NotFound("cannot read " + p.string());
    return *std::move(text);
  };
  if (std::optional<std::string> text = ReadFile((fs::path(key_dir) / "seal.key").string())) {
    base::Result<base::Secret> key = state::DecodeSealPrivateKey(*text);
    if (key.has_value()) sources.seal_private_key = *std::move(key);
  }
  sources.libctx = random.LibCtx();
  return state::StandardSecretResolver(std::move(sources));
}

}  // namespace coffer::cli
