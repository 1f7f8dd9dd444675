// Settings objects ([appliance], [key_service], identity providers, audit targets) are read
// by one schema-driven parser, so every kind gets the same type and unknown-key checks.

#include <map>

#include "coffer/policy/ip_range.h"
#include "coffer/state/settings_schema.h"

#include "loader_internal.h"

namespace coffer::state::internal {
namespace {

// Reads a table of "KEY" = [policy names] into canonical JSON ({"KEY":["a","b"]}).
std::optional<std::string> ReadPolicyListMap(const toml::node& node, const std::string& context,
                                             LoadContext& ctx) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    ctx.Error(node.source(), context + ": expected a table of policy lists");
    return std::nullopt;
  }
  std::map<std::string, std::vector<std::string>> sorted;
  for (auto&& [key, value] : *table) {
    const toml::array* arr = value.as_array();
    std::vector<std::string> names;
    bool ok = arr != nullptr;
    if (arr != nullptr) {
      for (const toml::node& item : *arr) {
        if (const auto* s = item.as_string())
          names.push_back(s->get());
        else
          ok = false;
      }
    }
    if (!ok) {
      ctx.Error(value.source(), context + ": expected an array of policy names");
      continue;
    }
    sorted[std::string(key.str())] = SortedUnique(std::move(names));
  }
  std::string out = "{";
  for (const auto& [key, names] : sorted) {
    if (out.size() > 1) out += ",";
    out += JsonQuote(key) + ":" + ToJsonArray(names);
  }
  return out + "}";
}

void ReadField(TableReader& r, const FieldSpec& field, std::string_view key, SettingsObject& obj,
               LoadContext& ctx) {
  const std::string name(field.name);
  switch (field.type) {
    case FieldType::kString:
    case FieldType::kPolicyName: {
      std::optional<std::string> v = r.String(key, field.required);
      if (!v) return;
      if (!field.allowed.empty()) {
        bool ok = false;
        std::string list;
        for (std::string_view a : field.allowed) {
          ok = ok || a == *v;
          list += (list.empty() ? "" : ", ") + std::string(a);
        }
        if (!ok) {
          ctx.Error(r.table().get(key)->source(),
                    r.context() + "." + std::string(key) + ": expected one of " + list);
          return;
        }
      }
      obj.fields[name] = *v;
      return;
    }
    case FieldType::kStringList:
    case FieldType::kPolicyList:
      if (auto v = r.StringList(key)) {
        if (name == "trusted_proxies") {
          // Caught here, not at serve time: a bad range would silently never match.
          for (const std::string& range : *v) {
            if (!policy::IsValidRange(range)) {
              ctx.Error(r.table().get(key)->source(), r.context() + "." + std::string(key) + ": '" +
                                                          range +
                                                          "' is not an IP address or CIDR block");
              return;
            }
          }
        }
        obj.fields[name] = ToJsonArray(*v);
      }
      return;
    case FieldType::kInt:
      if (auto v = r.Int(key)) obj.fields[name] = std::to_string(*v);
      return;
    case FieldType::kBool:
      if (auto v = r.Bool(key)) obj.fields[name] = *v ? "true" : "false";
      return;
    case FieldType::kSecret:
      if (auto v = r.Secret(key, field.required)) obj.secrets[name] = *std::move(v);
      return;
    case FieldType::kSecretRef:
      if (auto v = r.Secret(key, field.required)) obj.fields[name] = v->Text();
      return;
    case FieldType::kPolicyListMap:
      if (const toml::node* n = r.Node(key)) {
        if (auto v = ReadPolicyListMap(*n, r.context() + "." + std::string(key), ctx)) {
          obj.fields[name] = *v;
        }
      }
      return;
  }
}

}  // namespace

void LoadSettings(const toml::table& table, std::string_view kind, std::string name,
                  LoadContext& ctx) {
  const SettingsSpec* spec = FindSettingsSpec(kind);
  COFFER_ASSERT(spec != nullptr);
  SettingsObject obj;
  obj.kind = std::string(kind);
  obj.name = name;
  obj.where = Where(table.source());
  std::string context(spec->toml_path);
  if (spec->named) context += "." + name;
  TableReader r(table, ctx, context);
  // Nested tables ("tls.cert_file") get their own reader, so unknown keys inside them are
  // reported with their own path.
  std::map<std::string, std::vector<const FieldSpec*>> nested;
  for (const FieldSpec& field : spec->fields) {
    std::size_t dot = field.name.find('.');
    if (dot == std::string_view::npos) {
      ReadField(r, field, field.name, obj, ctx);
    } else {
      nested[std::string(field.name.substr(0, dot))].push_back(&field);
    }
  }
  for (const auto& [prefix, fields] : nested) {
    const toml::node* node = r.Node(prefix);
    if (node == nullptr) continue;
    const toml::table* sub = node->as_table();
    if (sub == nullptr) {
      ctx.Error(node->source(), context + "." + prefix + ": expected a table");
      continue;
    }
    TableReader sr(*sub, ctx, context + "." + prefix);
    for (const FieldSpec* field : fields) {
      ReadField(sr, *field, field->name.substr(prefix.size() + 1), obj, ctx);
    }
    sr.Finish();
  }
  r.Finish();
  ctx.state.settings.emplace(std::make_pair(obj.kind, obj.name), std::move(obj));
}

}  // namespace coffer::state::internal
