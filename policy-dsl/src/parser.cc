// Builds the policy Document from the JSON tree. Shape problems (unknown keys, wrong JSON types)
// are recorded, not fatal, so that one run of Validate() can report all of them.

#include <string>
#include <utility>

#include "coffer/policy/parse.h"

#include "json.h"

namespace coffer::policy {
namespace {

using internal::JsonMember;
using internal::JsonValue;
using Kind = JsonValue::Kind;

class Builder {
 public:
  explicit Builder(Document& doc) : doc_(doc) {}

  void Top(const JsonValue& root) {
    for (const JsonMember& m : root.members) {
      if (m.key == "Version") {
        doc_.version = Scalar(m.value, "Version");
      } else if (m.key == "Id") {
        doc_.id = Scalar(m.value, "Id");
      } else if (m.key == "Statement") {
        doc_.has_statement = true;
        doc_.statement_pos = m.value.pos;
        Statements(m.value);
      } else {
        Error(m.key_pos, m.key, "unknown policy key \"" + m.key + "\"");
      }
    }
  }

 private:
  void Error(SourcePos pos, std::string path, std::string message) {
    doc_.shape_errors.push_back({pos, std::move(path), std::move(message)});
  }

  void TypeError(const JsonValue& v, const std::string& path, std::string_view wanted) {
    Error(v.pos, path,
          "expected " + std::string(wanted) + ", found " + std::string(JsonKindName(v.kind)));
  }

  // A string, or a number or boolean kept as its source text (AWS accepts "Bool": true and
  // "NumericLessThan": 10 in conditions).
  std::optional<Text> Scalar(const JsonValue& v, const std::string& path, bool allow_any = false) {
    if (v.kind == Kind::kString) return Text{v.text, v.pos};
    if (allow_any && v.kind == Kind::kNumber) return Text{v.text, v.pos};
    if (allow_any && v.kind == Kind::kBool) return Text{v.boolean ? "true" : "false", v.pos};
    TypeError(v, path, "a string");
    return std::nullopt;
  }

  TextList List(const JsonValue& v, const std::string& path, bool allow_any = false) {
    TextList out;
    out.pos = v.pos;
    if (v.kind != Kind::kArray) {
      if (auto t = Scalar(v, path, allow_any)) out.items.push_back(std::move(*t));
      return out;
    }
    for (size_t i = 0; i < v.items.size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      if (auto t = Scalar(v.items[i], item_path, allow_any)) out.items.push_back(std::move(*t));
    }
    return out;
  }

  void Statements(const JsonValue& v) {
    if (v.kind == Kind::kObject) {
      doc_.statements.push_back(OneStatement(v, "Statement"));
      return;
    }
    if (v.kind != Kind::kArray) {
      TypeError(v, "Statement", "an object or an array of objects");
      return;
    }
    for (size_t i = 0; i < v.items.size(); ++i) {
      const std::string path = "Statement[" + std::to_string(i) + "]";
      if (v.items[i].kind != Kind::kObject) {
        TypeError(v.items[i], path, "an object");
        continue;
      }
      doc_.statements.push_back(OneStatement(v.items[i], path));
    }
  }

  PrincipalBlock Principal(const JsonValue& v, const std::string& path) {
    PrincipalBlock out;
    out.pos = v.pos;
    if (v.kind == Kind::kString) {
      if (v.text == "*") {
        out.wildcard = true;
      } else {
        Error(v.pos, path, "a Principal string must be \"*\"; use {\"AWS\": [...]}");
      }
      return out;
    }
    if (v.kind != Kind::kObject) {
      TypeError(v, path, "\"*\" or an object");
      return out;
    }
    for (const JsonMember& m : v.members) {
      if (m.key == "AWS") {
        out.aws = List(m.value, path + ".AWS").items;
      } else {
        out.other_types.push_back(Text{m.key, m.key_pos});
      }
    }
    return out;
  }

  void Conditions(const JsonValue& v, const std::string& path, Statement& st) {
    st.condition_pos = v.pos;
    if (v.kind != Kind::kObject) {
      TypeError(v, path, "an object");
      return;
    }
    for (const JsonMember& op : v.members) {
      const std::string op_path = path + "." + op.key;
      if (op.value.kind != Kind::kObject) {
        TypeError(op.value, op_path, "an object of condition keys");
        continue;
      }
      for (const JsonMember& key : op.value.members) {
        ConditionEntry entry;
        entry.op = Text{op.key, op.key_pos};
        entry.key = Text{key.key, key.key_pos};
        entry.values = List(key.value, op_path + "." + key.key, /*allow_any=*/true);
        st.conditions.push_back(std::move(entry));
      }
    }
  }

  bool Field(const JsonMember& m, const std::string& path, Statement& st) {
    const std::string p = path + "." + m.key;
    if (m.key == "Sid") {
      st.sid = Scalar(m.value, p);
    } else if (m.key == "Effect") {
      st.effect = Scalar(m.value, p);
    } else if (m.key == "Principal") {
      st.principal = Principal(m.value, p);
    } else if (m.key == "NotPrincipal") {
      st.not_principal = Principal(m.value, p);
    } else if (m.key == "Action") {
      st.action = List(m.value, p);
    } else if (m.key == "NotAction") {
      st.not_action = List(m.value, p);
    } else if (m.key == "Resource") {
      st.resource = List(m.value, p);
    } else if (m.key == "NotResource") {
      st.not_resource = List(m.value, p);
    } else if (m.key == "Condition") {
      Conditions(m.value, p, st);
    } else {
      return false;
    }
    return true;
  }

  Statement OneStatement(const JsonValue& v, const std::string& path) {
    Statement st;
    st.pos = v.pos;
    st.path = path;
    st.empty_object = v.members.empty();
    for (const JsonMember& m : v.members) {
      if (!Field(m, path, st)) {
        Error(m.key_pos, path + "." + m.key, "unknown statement key \"" + m.key + "\"");
      }
    }
    return st;
  }

  Document& doc_;
};

}  // namespace

base::Result<Document> Parse(std::string_view json, const ParseOptions& options) {
  COFFER_ASSIGN_OR_RETURN(JsonValue root,
                          internal::ParseJson(json, options.max_bytes, options.max_depth));
  if (root.kind != Kind::kObject) {
    return base::InvalidArgument(std::to_string(root.pos.line) + ":" +
                                 std::to_string(root.pos.col) + ": a policy must be a JSON object");
  }
  Document doc;
  Builder(doc).Top(root);
  return doc;
}

std::string FormatDiagnostic(const Diagnostic& diagnostic, const std::string& file) {
  std::string out;
  if (!file.empty()) out += file + ":";
  out += std::to_string(diagnostic.pos.line) + ":" + std::to_string(diagnostic.pos.col) + ": ";
  if (!diagnostic.path.empty()) out += diagnostic.path + ": ";
  out += diagnostic.message;
  return out;
}

}  // namespace coffer::policy
