#pragma once
// The revision of a config repo that was applied or attempted: a Git commit (with author and
// a dirty flag) or, outside Git, a SHA-256 digest of the content.

#include <string>

namespace coffer::state {

struct Revision {
  std::string id;      // Git commit id, or "sha256:<hex>" of the tree content.
  std::string author;  // "Name <email>" for Git, else empty.
  bool dirty = false;  // A Git work tree with uncommitted changes.
  bool git = false;

  // "3f2a... by A <a@x> (dirty)"; for status lines and logs.
  std::string ToString() const;
};

}  // namespace coffer::state
