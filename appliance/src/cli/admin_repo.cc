// Git through fork/exec: arguments go to git as argv, so a user, policy or DN name can never
// be read by a shell.

#include "admin_repo.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "repo_access.h"

extern char** environ;

namespace coffer::cli {

namespace fs = std::filesystem;

GitOutput RunGit(const std::string& dir, const std::vector<std::string>& args,
                 const std::vector<std::string>& extra_env) {
  GitOutput result;
  std::vector<std::string> argv_s = {"git", "-C", dir};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
  env_s.insert(env_s.end(), extra_env.begin(), extra_env.end());
  // Never wait for an editor, a pager or a credential prompt.
  env_s.emplace_back("GIT_TERMINAL_PROMPT=0");
  env_s.emplace_back("GIT_PAGER=cat");
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return result;
  }
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result;
}

base::Status RequireWorkTree(const std::string& dir) {
  GitOutput out = RunGit(dir, {"rev-parse", "--is-inside-work-tree"});
  if (out.exit_code == -1) return base::FailedPrecondition("cannot run git");
  if (out.exit_code != 0 || out.output != "true") {
    return base::FailedPrecondition(dir + " is not a Git work tree (git init, or pass --repo)");
  }
  return base::Ok();
}

base::Status RequireClean(const std::string& dir, const std::set<std::string>& paths) {
  std::vector<std::string> args = {"status", "--porcelain", "--untracked-files=all", "--"};
  args.insert(args.end(), paths.begin(), paths.end());
  GitOutput out = RunGit(dir, args);
  if (out.exit_code != 0) return base::FailedPrecondition("git status failed: " + out.output);
  if (!out.output.empty()) {
    return base::FailedPrecondition(
        "uncommitted changes in the files this command edits; commit or discard them first:\n" +
        out.output);
  }
  return base::Ok();
}

base::Result<std::string> ResolveAuthor(const std::string& dir, const std::string& flag) {
  if (!flag.empty()) {
    if (flag.find('<') == std::string::npos || flag.back() != '>') {
      return base::InvalidArgument("--author must look like \"Name <mail>\"");
    }
    return flag;
  }
  GitOutput name = RunGit(dir, {"config", "user.name"});
  GitOutput mail = RunGit(dir, {"config", "user.email"});
  if (name.exit_code == 0 && !name.output.empty()) {
    return name.output + " <" + (mail.exit_code == 0 ? mail.output : "") + ">";
  }
  const char* user = std::getenv("USER");
  std::string u = user != nullptr && *user != '\0' ? user : "coffer-admin";
  return u + " <" + u + "@localhost>";
}

std::optional<std::string> FirstRemote(const std::string& dir) {
  GitOutput out = RunGit(dir, {"remote"});
  if (out.exit_code != 0 || out.output.empty()) return std::nullopt;
  return out.output.substr(0, out.output.find('\n'));
}

namespace {

// Write-then-rename, so a crash leaves the old file or the new one, never half of it.
base::Status WriteFileAtomic(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".coffer-admin.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return base::Unavailable("cannot write " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) return base::Unavailable("cannot replace " + path.string() + ": " + ec.message());
  return base::Ok();
}

base::Status WriteTree(const std::string& dir, const state::ConfigTree& tree,
                       const std::set<std::string>& paths) {
  for (const std::string& p : paths) {
    fs::path full = fs::path(dir) / p;
    auto it = tree.files.find(p);
    if (it == tree.files.end()) {
      std::error_code ec;
      fs::remove(full, ec);
      if (ec) return base::Unavailable("cannot delete " + full.string());
      continue;
    }
    COFFER_RETURN_IF_ERROR(WriteFileAtomic(full, it->second));
  }
  return base::Ok();
}

// "Name <mail>" split for GIT_COMMITTER_*.
std::pair<std::string, std::string> SplitAuthor(const std::string& author) {
  std::size_t lt = author.find('<');
  std::string name = author.substr(0, lt);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  std::string mail = author.substr(lt + 1);
  if (!mail.empty() && mail.back() == '>') mail.pop_back();
  return {name, mail};
}

}  // namespace

base::Result<std::string> WriteAndCommit(const std::string& dir, const state::ConfigTree& before,
                                         const state::ConfigTree& tree,
                                         const std::set<std::string>& paths,
                                         const std::string& message, const std::string& author) {
  COFFER_RETURN_IF_ERROR(WriteTree(dir, tree, paths));
  std::vector<std::string> add = {"add", "-A", "--"};
  add.insert(add.end(), paths.begin(), paths.end());
  GitOutput added = RunGit(dir, add);
  std::vector<std::string> commit = {"commit", "-q",    "--no-verify", "--author=" + author,
                                     "-m",     message, "--"};
  commit.insert(commit.end(), paths.begin(), paths.end());
  // A machine without git config user.* still commits: the operator is the committer too.
  std::vector<std::string> env;
  GitOutput configured = RunGit(dir, {"config", "user.name"});
  if (configured.exit_code != 0 || configured.output.empty()) {
    auto [name, mail] = SplitAuthor(author);
    env = {"GIT_COMMITTER_NAME=" + name, "GIT_COMMITTER_EMAIL=" + mail};
  }
  GitOutput committed = added.exit_code == 0 ? RunGit(dir, commit, env) : added;
  if (committed.exit_code != 0) {
    // Put the work tree and the index back as they were.
    (void)WriteTree(dir, before, paths);
    std::vector<std::string> reset = {"reset", "-q", "--"};
    reset.insert(reset.end(), paths.begin(), paths.end());
    (void)RunGit(dir, reset);
    return base::FailedPrecondition("git commit failed (nothing changed): " + committed.output);
  }
  GitOutput head = RunGit(dir, {"rev-parse", "--short", "HEAD"});
  return head.exit_code == 0 ? head.output : std::string("HEAD");
}

}  // namespace coffer::cli
