// The request's condition context: a small sorted vector, because requests carry a handful of
// keys and a binary search over contiguous entries beats a hash map at that size.

#include <algorithm>

#include "coffer/policy/evaluate.h"

#include "catalog.h"

namespace coffer::policy {
namespace {

std::string LowerKey(std::string_view key) {
  std::string lower;
  lower.reserve(key.size());
  for (const char c : key) lower.push_back(internal::ToLowerAscii(c));
  return lower;
}

}  // namespace

void Context::Add(std::string_view key, std::string_view value) {
  const std::string lower = LowerKey(key);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), lower,
                             [](const Entry& e, const std::string& k) { return e.key < k; });
  if (it == entries_.end() || it->key != lower) it = entries_.insert(it, Entry{lower, {}});
  it->values.emplace_back(value);
}

void Context::Set(std::string_view key, std::vector<std::string> values) {
  const std::string lower = LowerKey(key);
  auto it = std::lower_bound(entries_.begin(), entries_.end(), lower,
                             [](const Entry& e, const std::string& k) { return e.key < k; });
  if (it == entries_.end() || it->key != lower) it = entries_.insert(it, Entry{lower, {}});
  it->values = std::move(values);
}

std::span<const std::string> Context::Find(std::string_view lower_key) const {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), lower_key,
                                   [](const Entry& e, std::string_view k) { return e.key < k; });
  if (it == entries_.end() || it->key != lower_key) return {};
  return it->values;
}

}  // namespace coffer::policy
