// The canonical printer. Fixed key order and arrays everywhere make the output a normal form:
// two documents that mean the same thing statement by statement print the same text.

#include <string>

#include "coffer/policy/parse.h"

#include "json.h"

namespace coffer::policy {
namespace {

using internal::AppendJsonString;

void AppendList(const std::vector<Text>& items, std::string& out) {
  out.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(items[i].value, out);
  }
  out.push_back(']');
}

void AppendKey(std::string_view key, bool& first, std::string& out) {
  if (!first) out.push_back(',');
  first = false;
  AppendJsonString(key, out);
  out.push_back(':');
}

void AppendPrincipal(const PrincipalBlock& p, std::string& out) {
  if (p.wildcard) {
    out += "\"*\"";
    return;
  }
  out += "{\"AWS\":";
  AppendList(p.aws, out);
  out.push_back('}');
}

void AppendConditions(const std::vector<ConditionEntry>& entries, std::string& out) {
  // Entries keep source order; entries of one operator are grouped under it in first-seen
  // order so that the printed form parses back to the same entry list.
  out.push_back('{');
  std::vector<bool> done(entries.size(), false);
  bool first_op = true;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (done[i]) continue;
    AppendKey(entries[i].op.value, first_op, out);
    out.push_back('{');
    bool first_key = true;
    for (size_t j = i; j < entries.size(); ++j) {
      if (done[j] || entries[j].op.value != entries[i].op.value) continue;
      done[j] = true;
      AppendKey(entries[j].key.value, first_key, out);
      AppendList(entries[j].values.items, out);
    }
    out.push_back('}');
  }
  out.push_back('}');
}

void AppendStatement(const Statement& st, std::string& out) {
  out.push_back('{');
  bool first = true;
  if (st.sid) {
    AppendKey("Sid", first, out);
    AppendJsonString(st.sid->value, out);
  }
  if (st.effect) {
    AppendKey("Effect", first, out);
    AppendJsonString(st.effect->value, out);
  }
  if (st.principal) {
    AppendKey("Principal", first, out);
    AppendPrincipal(*st.principal, out);
  }
  if (st.not_principal) {
    AppendKey("NotPrincipal", first, out);
    AppendPrincipal(*st.not_principal, out);
  }
  const std::pair<const char*, const std::optional<TextList>*> lists[] = {
      {"Action", &st.action},
      {"NotAction", &st.not_action},
      {"Resource", &st.resource},
      {"NotResource", &st.not_resource}};
  for (const auto& [key, list] : lists) {
    if (!list->has_value()) continue;
    AppendKey(key, first, out);
    AppendList((*list)->items, out);
  }
  if (st.condition_pos) {
    AppendKey("Condition", first, out);
    AppendConditions(st.conditions, out);
  }
  out.push_back('}');
}

}  // namespace

std::string Print(const Document& document) {
  std::string out = "{";
  bool first = true;
  if (document.version) {
    AppendKey("Version", first, out);
    AppendJsonString(document.version->value, out);
  }
  if (document.id) {
    AppendKey("Id", first, out);
    AppendJsonString(document.id->value, out);
  }
  if (document.has_statement) {
    AppendKey("Statement", first, out);
    out.push_back('[');
    for (size_t i = 0; i < document.statements.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendStatement(document.statements[i], out);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

}  // namespace coffer::policy
