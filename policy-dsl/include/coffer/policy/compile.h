#pragma once
// Compilation turns a valid Document into an immutable CompiledPolicy: patterns pre-split into
// pieces, condition values pre-parsed (numbers, dates, CIDRs), and an action index that maps
// each known action to the statements that can match it (MinIO's action index, Envoy's RBAC
// matcher tree). Compile once, evaluate many times: evaluation (evaluate.h) allocates nothing.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "coffer/base/result.h"
#include "coffer/policy/document.h"
#include "coffer/policy/parse.h"
#include "coffer/policy/validate.h"

namespace coffer::policy {

namespace internal {
struct PolicyImpl;
}  // namespace internal

// An immutable compiled policy. Thread-safe to share and evaluate concurrently. Statement IDs
// in decisions point into it, so it must outlive the Decisions it produced.
class CompiledPolicy {
 public:
  explicit CompiledPolicy(std::unique_ptr<const internal::PolicyImpl> impl);
  ~CompiledPolicy();
  CompiledPolicy(const CompiledPolicy&) = delete;
  CompiledPolicy& operator=(const CompiledPolicy&) = delete;

  // The name given at compilation (a policy name, "bucket:NAME", "builtin:readonly"...).
  const std::string& name() const;
  PolicyKind kind() const;
  size_t statement_count() const;
  const internal::PolicyImpl& impl() const { return *impl_; }

 private:
  std::unique_ptr<const internal::PolicyImpl> impl_;
};

// Validates `document` as `kind` and compiles it. Returns kInvalidArgument naming the first
// diagnostic (and how many there were) when the document is not valid. The result shares no
// memory with `document`.
base::Result<std::shared_ptr<const CompiledPolicy>> Compile(const Document& document,
                                                            std::string name, PolicyKind kind);

// Parse, Validate and Compile in one call. Errors are kInvalidArgument with "LINE:COL: ...".
base::Result<std::shared_ptr<const CompiledPolicy>> CompileText(std::string_view json,
                                                                std::string name, PolicyKind kind);

}  // namespace coffer::policy
