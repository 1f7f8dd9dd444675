// `coffer audit tail`: prints the entries of the file audit target (JSON
// lines, rotated files included, oldest first) that match the filters.
// --follow keeps reading as the appliance appends.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.h"

namespace coffer::cli {
namespace {

struct TailFilter {
  std::string user;
  std::string bucket;
  unsigned status = 0;
  std::string since;  // RFC 3339 lower bound on "time", compared as text (same format).
  std::string api;
};

bool Matches(const nlohmann::json& e, const TailFilter& f) {
  if (!e.is_object()) return false;
  auto text = [&](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : std::string();
  };
  if (!f.user.empty() && text(e.value("accessKey", nlohmann::json())) != f.user &&
      text(e.value("parentUser", nlohmann::json())) != f.user) {
    return false;
  }
  const nlohmann::json api = e.value("api", nlohmann::json::object());
  if (!f.bucket.empty() && text(api.value("bucket", nlohmann::json())) != f.bucket) return false;
  if (!f.api.empty() && text(api.value("name", nlohmann::json())) != f.api) return false;
  if (f.status != 0) {
    const auto code = api.value("statusCode", nlohmann::json());
    if (!code.is_number_unsigned() || code.get<unsigned>() != f.status) return false;
  }
  if (!f.since.empty() && text(e.value("time", nlohmann::json())) < f.since) return false;
  return true;
}

// "10m", "2h", "30s", "1d" before now, or an RFC 3339 time as given.
bool ParseSince(const std::string& in, std::string& out) {
  if (in.empty()) return true;
  if (in.find('T') != std::string::npos) {
    out = in;
    return true;
  }
  char* end = nullptr;
  const long n = std::strtol(in.c_str(), &end, 10);
  if (end == in.c_str() || n < 0) return false;
  const std::string unit(end);
  long seconds = 0;
  if (unit == "s") {
    seconds = n;
  } else if (unit == "m") {
    seconds = n * 60;
  } else if (unit == "h") {
    seconds = n * 3600;
  } else if (unit == "d") {
    seconds = n * 86400;
  } else {
    return false;
  }
  const auto t = std::chrono::system_clock::now() - std::chrono::seconds(seconds);
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  out = std::string(buf) + ".000Z";
  return true;
}

// Prints the matching lines of `path` from `offset`; returns the new offset.
std::uint64_t PrintMatches(const std::string& path, std::uint64_t offset, const TailFilter& f) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // A line still being written: read it next time.
    offset += line.size() + 1;
    const auto e = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!e.is_discarded() && Matches(e, f)) std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
  return offset;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

int RunAudit(const Args& args) {
  if (args.empty() || args[0] != "tail") {
    std::fprintf(stderr,
                 "usage: coffer audit tail --file PATH [--user U] [--bucket B] [--status CODE] "
                 "[--since T] [--api NAME] [--follow]\n");
    return 2;
  }
  TailFilter filter;
  std::string file;
  std::string since;
  bool follow = false;
  po::options_description desc("coffer audit tail");
  desc.add_options()("file", po::value(&file)->required(),
                     "the file audit target's path ([audit.file.NAME] path)")(
      "user", po::value(&filter.user), "only entries of this access key or parent user")(
      "bucket", po::value(&filter.bucket), "only entries naming this bucket")(
      "status", po::value(&filter.status), "only entries with this HTTP status code")(
      "api", po::value(&filter.api), "only entries of this API (PutObject, ConfigApply, ...)")(
      "since", po::value(&since), "only entries at or after T (RFC 3339, or 30s, 10m, 2h, 1d ago)")(
      "follow,f", po::bool_switch(&follow), "keep printing entries as they are appended");
  po::variables_map vm;
  const Args rest(args.begin() + 1, args.end());
  if (auto exit = ParseFlags("coffer audit tail", desc, rest, vm)) return *exit;
  if (!ParseSince(since, filter.since)) {
    std::fprintf(stderr, "coffer audit tail: bad --since '%s'\n", since.c_str());
    return 2;
  }
  if (!Exists(file)) {
    std::fprintf(stderr, "coffer audit tail: no such file: %s\n", file.c_str());
    return 1;
  }
  // Rotated files first, oldest (highest number) first.
  std::vector<std::string> rotated;
  for (int i = 1; Exists(file + "." + std::to_string(i)); ++i) {
    rotated.push_back(file + "." + std::to_string(i));
  }
  for (auto it = rotated.rbegin(); it != rotated.rend(); ++it) PrintMatches(*it, 0, filter);
  std::uint64_t offset = PrintMatches(file, 0, filter);
  while (follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) < offset) {
      offset = 0;  // Rotated: start the new file from its beginning.
    }
    offset = PrintMatches(file, offset, filter);
  }
  return 0;
}

}  // namespace coffer::cli
