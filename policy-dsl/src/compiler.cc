// The compiler: validated Document in, immutable CompiledPolicy out, with the action index
// built once so that evaluation looks at only the statements that can match an action.

#include <algorithm>
#include <cstring>
#include <span>
#include <utility>

#include "coffer/policy/compile.h"

#include "catalog.h"
#include "compiled.h"

namespace coffer::policy {
namespace {

using internal::CompiledStatement;

void CompilePrincipal(const Statement& st, CompiledStatement& out) {
  const PrincipalBlock* block = nullptr;
  if (st.principal) {
    out.principal_mode = CompiledStatement::PrincipalMode::kPrincipal;
    block = &*st.principal;
  } else if (st.not_principal) {
    out.principal_mode = CompiledStatement::PrincipalMode::kNotPrincipal;
    block = &*st.not_principal;
  }
  if (block == nullptr) return;
  out.principal_wildcard = block->wildcard;
  for (const Text& name : block->aws) {
    if (name.value == "*") out.principal_wildcard = true;
    out.principals.push_back(name.value);
  }
}

base::Result<CompiledStatement> CompileStatement(const Statement& st, uint32_t index,
                                                 bool variables) {
  CompiledStatement out;
  out.index = index;
  out.effect = st.effect && st.effect->value == "Allow" ? Effect::kAllow : Effect::kDeny;
  if (st.sid) out.sid = st.sid->value;
  const TextList& actions = st.action ? *st.action : *st.not_action;
  out.not_action = !st.action;
  for (const Text& a : actions.items) out.actions.push_back(a.value);
  if (st.resource || st.not_resource) {
    out.resource_mode = st.resource ? CompiledStatement::ResourceMode::kList
                                    : CompiledStatement::ResourceMode::kNotList;
    for (const Text& r : (st.resource ? *st.resource : *st.not_resource).items) {
      // "*" alone means every resource; an ARN keeps its wildcards and variables.
      out.resources.push_back(internal::Pattern::Make(r.value, /*wildcards=*/true, variables));
    }
  }
  CompilePrincipal(st, out);
  for (const ConditionEntry& entry : st.conditions) {
    auto condition = internal::CompileCondition(entry, variables);
    if (!condition) {
      return base::Internal("condition " + entry.op.value + " passed validation but not compile");
    }
    out.conditions.push_back(std::move(*condition));
  }
  return out;
}

bool HasWildcard(std::string_view pattern) {
  return pattern.find_first_of("*?") != std::string_view::npos;
}

// Marks, for one statement, every known action it can match.
void MarkActions(const CompiledStatement& st, std::span<char> marks) {
  const auto known = internal::KnownActions();
  std::fill(marks.begin(), marks.end(), 0);
  for (const std::string& pattern : st.actions) {
    if (!HasWildcard(pattern)) {
      const int id = internal::FindAction(pattern);
      if (id >= 0) marks[static_cast<size_t>(id)] = 1;
      continue;
    }
    const auto [first, last] = internal::CandidateActions(pattern);
    for (size_t i = first; i < last; ++i) {
      if (!marks[i] && internal::GlobMatch(pattern, known[i], /*ignore_case=*/true)) marks[i] = 1;
    }
  }
  if (st.not_action) {
    for (char& m : marks) m = m ? 0 : 1;
  }
}

// The common literal prefix of a Resource list (see PolicyImpl::prefilter).
std::string_view CommonPrefix(const CompiledStatement& st) {
  if (st.resource_mode != CompiledStatement::ResourceMode::kList || st.resources.empty()) return {};
  std::string_view common = st.resources.front().LiteralPrefix();
  for (const internal::Pattern& p : st.resources) {
    const std::string_view prefix = p.LiteralPrefix();
    size_t n = 0;
    while (n < common.size() && n < prefix.size() && common[n] == prefix[n]) ++n;
    common = common.substr(0, n);
  }
  return common;
}

void BuildPrefilter(internal::PolicyImpl& impl) {
  for (const CompiledStatement& st : impl.statements) {
    const std::string_view prefix = CommonPrefix(st);
    internal::PolicyImpl::Prefilter f;
    f.offset = static_cast<uint32_t>(impl.prefilter_bytes.size());
    f.length = static_cast<uint32_t>(prefix.size());
    if (prefix.size() >= 8) std::memcpy(&f.tail, prefix.data() + prefix.size() - 8, sizeof(f.tail));
    impl.prefilter.push_back(f);
    impl.prefilter_bytes.append(prefix);
  }
}

void BuildActionIndex(internal::PolicyImpl& impl) {
  // Compressed rows, built in two passes (count, then fill) so that compilation makes a few
  // large allocations instead of one per (action, statement) pair.
  const size_t n_actions = internal::KnownActions().size();
  const size_t n_statements = impl.statements.size();
  std::vector<char> marks(n_actions * n_statements);
  std::vector<uint32_t> counts(n_actions + 1, 0);
  for (size_t s = 0; s < n_statements; ++s) {
    const std::span<char> row(marks.data() + s * n_actions, n_actions);
    MarkActions(impl.statements[s], row);
    for (size_t a = 0; a < n_actions; ++a) counts[a + 1] += row[a] ? 1u : 0u;
    impl.all_statements.push_back(static_cast<uint32_t>(s));
  }
  for (size_t a = 0; a < n_actions; ++a) counts[a + 1] += counts[a];
  impl.action_offsets = counts;
  impl.action_index.resize(counts[n_actions]);
  for (size_t s = 0; s < n_statements; ++s) {
    for (size_t a = 0; a < n_actions; ++a) {
      if (marks[s * n_actions + a]) impl.action_index[counts[a]++] = static_cast<uint32_t>(s);
    }
  }
}

}  // namespace

CompiledPolicy::CompiledPolicy(std::unique_ptr<const internal::PolicyImpl> impl)
    : impl_(std::move(impl)) {}
CompiledPolicy::~CompiledPolicy() = default;
const std::string& CompiledPolicy::name() const { return impl_->name; }
PolicyKind CompiledPolicy::kind() const { return impl_->kind; }
size_t CompiledPolicy::statement_count() const { return impl_->statements.size(); }

base::Result<std::shared_ptr<const CompiledPolicy>> Compile(const Document& document,
                                                            std::string name, PolicyKind kind) {
  const std::vector<Diagnostic> diagnostics = Validate(document, {kind});
  if (!diagnostics.empty()) {
    std::string message = FormatDiagnostic(diagnostics.front(), "");
    if (diagnostics.size() > 1) {
      message += " (and " + std::to_string(diagnostics.size() - 1) + " more)";
    }
    return base::InvalidArgument(std::move(message));
  }
  auto impl = std::make_unique<internal::PolicyImpl>();
  impl->name = std::move(name);
  impl->kind = kind;
  const bool variables = document.version && document.version->value == "2012-10-17";
  for (size_t i = 0; i < document.statements.size(); ++i) {
    COFFER_ASSIGN_OR_RETURN(
        CompiledStatement st,
        CompileStatement(document.statements[i], static_cast<uint32_t>(i), variables));
    impl->statements.push_back(std::move(st));
  }
  BuildActionIndex(*impl);
  BuildPrefilter(*impl);
  return std::make_shared<const CompiledPolicy>(std::move(impl));
}

base::Result<std::shared_ptr<const CompiledPolicy>> CompileText(std::string_view json,
                                                                std::string name, PolicyKind kind) {
  COFFER_ASSIGN_OR_RETURN(Document document, Parse(json));
  return Compile(document, std::move(name), kind);
}

}  // namespace coffer::policy
