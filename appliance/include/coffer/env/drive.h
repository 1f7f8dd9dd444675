#pragma once
// The Drive seam: one disk of an erasure set. The storage engine reaches files
// only through it, so the simulator can run the same engine on in-memory drives
// that fail, rot bits, tear writes or fill up.
//
// Paths are relative to the drive's root, '/'-separated, and never contain
// "." or ".." components, empty components, a leading '/', or NUL bytes; an
// implementation refuses such a path with kInvalidArgument.
//
// Error codes: kNotFound (no such file), kDataLoss (the medium returned bad
// data or EIO on read), kResourceExhausted (disk full), kUnavailable (the drive
// is offline or an I/O error that may pass), kInvalidArgument (bad path).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/base/result.h"

namespace coffer::env {

struct FileInfo {
  std::uint64_t size_bytes = 0;
  bool is_dir = false;
};

struct DriveUsage {
  std::uint64_t total_bytes = 0;
  std::uint64_t free_bytes = 0;
};

// An atomic write in progress: bytes go to a temporary file which Commit()
// makes durable and renames into place. Destroying an uncommitted writer
// removes the temporary file; the final path is never seen half written.
class FileWriter {
 public:
  virtual ~FileWriter() = default;

  // Appends bytes to the temporary file.
  virtual base::Status Append(std::span<const std::byte> data) = 0;
  // fsyncs the file, renames it to the final path and fsyncs the directory.
  // After an error the writer is finished and the final path is untouched.
  virtual base::Status Commit() = 0;
};

// One drive. Implementations are thread-safe: distinct paths may be used
// concurrently; concurrent writes to the same path end with one of them whole.
class Drive {
 public:
  virtual ~Drive() = default;

  // A short name for errors and logs (e.g. the folder path or "sim-drive-2").
  virtual const std::string& Name() const = 0;

  // Returns the whole content of a file.
  virtual base::Result<std::string> ReadAll(std::string_view path) = 0;
  // Reads up to out.size() bytes at `offset` into `out`; returns how many were
  // read (fewer only at end of file).
  virtual base::Result<std::size_t> ReadAt(std::string_view path, std::uint64_t offset,
                                           std::span<std::byte> out) = 0;
  // Writes `data` as the whole new content of `path`: temporary file, fsync,
  // rename, fsync of the directory. Creates missing parent directories. A crash
  // at any point leaves either the old content or the new, never a mix.
  virtual base::Status WriteAtomic(std::string_view path, std::span<const std::byte> data) = 0;
  // Starts a streaming atomic write of `path` (see FileWriter).
  virtual base::Result<std::unique_ptr<FileWriter>> CreateWriter(std::string_view path) = 0;
  // Atomically renames a file or directory, replacing a file at `to`; fsyncs
  // the directories involved. Creates missing parent directories of `to`.
  virtual base::Status Rename(std::string_view from, std::string_view to) = 0;
  // Returns the sorted names in directory `dir` ("" is the root). Directory
  // names end with '/'. A missing directory is kNotFound.
  virtual base::Result<std::vector<std::string>> List(std::string_view dir) = 0;
  // Removes a file or an empty directory.
  virtual base::Status Remove(std::string_view path) = 0;
  // Removes a directory tree (or a file). A missing path is not an error.
  virtual base::Status RemoveAll(std::string_view path) = 0;
  // Returns size and kind of a path.
  virtual base::Result<FileInfo> Stat(std::string_view path) = 0;
  // Flushes a file or directory to stable storage.
  virtual base::Status Sync(std::string_view path) = 0;
  // Returns the capacity and free space of the drive.
  virtual base::Result<DriveUsage> Usage() = 0;
};

// Returns kInvalidArgument unless `path` is a valid drive-relative path (see
// the header comment). `allow_root` accepts "" (the root directory).
base::Status ValidateDrivePath(std::string_view path, bool allow_root = false);

}  // namespace coffer::env
