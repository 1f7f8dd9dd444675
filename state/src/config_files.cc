// Reading a config repo from disk and asking Git what revision it is. This is the only file in
// coffer::state that touches the file system or runs a process.

#include "coffer/state/config_files.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "coffer/state/crypto.h"

namespace coffer::state {
namespace {

namespace fs = std::filesystem;

bool Wanted(const fs::path& p) { return p.extension() == ".toml" || p.extension() == ".json"; }

// Runs a command and returns its stdout, or nullopt on a non-zero exit.
std::optional<std::string> Capture(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int rc = pclose(pipe);
  if (rc != 0) return std::nullopt;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

base::Result<ConfigTree> ReadConfigDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return base::NotFound("config directory " + dir + " not found");
  ConfigTree tree;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return base::Unavailable("cannot list " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return base::Unavailable("cannot list " + dir + ": " + ec.message());
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || !Wanted(p)) continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return base::Unavailable("cannot read " + p.string());
    tree.files[p.lexically_relative(dir).generic_string()] = text.str();
  }
  return tree;
}

std::string Revision::ToString() const {
  std::string out = id;
  if (!author.empty()) out += " by " + author;
  if (dirty) out += " (dirty)";
  return out;
}

std::string ContentDigest(const ConfigTree& tree, ossl_lib_ctx_st* libctx) {
  std::string all;
  for (const auto& [path, text] : tree.files) {
    all += path;
    all += '\0';
    all += std::to_string(text.size());
    all += '\0';
    all += text;
  }
  return "sha256:" + Sha256Hex(libctx, all);
}

Revision DescribeRevision(const std::string& dir, const ConfigTree& tree, ossl_lib_ctx_st* libctx) {
  Revision rev;
  std::string git = "git -C " + ShellQuote(dir) + " ";
  std::optional<std::string> inside = Capture(git + "rev-parse --is-inside-work-tree 2>/dev/null");
  std::optional<std::string> head = Capture(git + "rev-parse HEAD 2>/dev/null");
  if (inside && *inside == "true" && head && !head->empty()) {
    rev.git = true;
    rev.id = *head;
    rev.author = Capture(git + "log -1 --format='%an <%ae>' 2>/dev/null").value_or("");
    std::optional<std::string> status =
        Capture(git + "status --porcelain --untracked-files=normal -- . 2>/dev/null");
    rev.dirty = !status || !status->empty();
    return rev;
  }
  rev.id = ContentDigest(tree, libctx);
  return rev;
}

}  // namespace coffer::state
