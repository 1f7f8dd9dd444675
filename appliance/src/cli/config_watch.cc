#include "config_watch.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace coffer::cli {

namespace asio = boost::asio;

namespace {

constexpr std::uint32_t kEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                  IN_DELETE | IN_DELETE_SELF | IN_ATTRIB;

// Adds a watch on `dir` and every folder below it except .git. Adding a watch
// twice is harmless (inotify returns the same descriptor), so a rescan after
// each burst picks up new folders.
void WatchTree(int fd, const std::string& dir, int depth) {
  if (depth > 16) return;  // Bounded: a symlink loop or a pathological tree.
  if (inotify_add_watch(fd, dir.c_str(), kEvents | IN_ONLYDIR) < 0) return;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == ".." || name == ".git") continue;
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) WatchTree(fd, path, depth + 1);
  }
  ::closedir(d);
}

}  // namespace

struct ConfigWatch::Impl : std::enable_shared_from_this<ConfigWatch::Impl> {
  Impl(asio::any_io_executor executor, int fd, std::string dir_in,
       std::chrono::milliseconds debounce_in, std::function<void()> on_change_in)
      : stream(executor, fd),
        timer(executor),
        dir(std::move(dir_in)),
        debounce(debounce_in),
        on_change(std::move(on_change_in)) {}

  void Read() {
    stream.async_read_some(
        asio::buffer(buffer),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec || self->stopped) return;
          // The events' details do not matter: any change
          // means "reconcile soon".
          WatchTree(self->stream.native_handle(), self->dir, 0);
          self->Arm();
          self->Read();
        });
  }

  void Arm() {
    timer.expires_after(debounce);  // Cancels a pending wait: the burst goes on.
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped) return;
      self->on_change();
    });
  }

  asio::posix::stream_descriptor stream;
  asio::steady_timer timer;
  std::string dir;
  std::chrono::milliseconds debounce;
  std::function<void()> on_change;
  std::array<char, 16 * 1024> buffer{};
  bool stopped = false;
};

base::Result<std::unique_ptr<ConfigWatch>> ConfigWatch::Start(asio::any_io_executor executor,
                                                              std::string dir,
                                                              std::chrono::milliseconds debounce,
                                                              std::function<void()> on_change) {
  const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return base::Unavailable(std::string("inotify: ") + std::strerror(errno));
  }
  WatchTree(fd, dir, 0);
  auto impl = std::make_shared<Impl>(std::move(executor), fd, std::move(dir), debounce,
                                     std::move(on_change));
  impl->Read();
  return std::unique_ptr<ConfigWatch>(new ConfigWatch(std::move(impl)));
}

void ConfigWatch::Stop() {
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->timer.cancel();
  impl_->stream.close(ignored);
}

ConfigWatch::~ConfigWatch() {
  if (!impl_->stopped) Stop();
}

}  // namespace coffer::cli
