#include "policy_model.h"

#include <rapidcheck.h>

namespace coffer::conform {
namespace {

using nlohmann::json;

template <typename T>
T Pick(std::vector<T> items) {
  return *rc::gen::elementOf(items);
}

// True with probability 1/n; shrinks towards false.
bool OneIn(int n) { return *rc::gen::inRange(0, n) == n - 1; }

std::vector<std::string> Subset(const std::vector<std::string>& pool, int chance_in = 3) {
  std::vector<std::string> out;
  for (const std::string& item : pool) {
    if (OneIn(chance_in)) out.push_back(item);
  }
  return out;
}

// Conditions on the keys the brief names: aws:SourceIp, aws:SecureTransport, s3:prefix and,
// with users, aws:username. The client connects from the loopback address in tests, so the
// address ranges include and exclude it.
json GenCondition(const PolicyWorld& world) {
  const int family = *rc::gen::inRange(0, world.HasUsers() ? 8 : 6);
  if (family <= 1) {
    const std::string op = Pick<std::string>({"IpAddress", "NotIpAddress"});
    auto cidrs = Subset({"127.0.0.0/8", "127.0.0.1/32", "10.0.0.0/8", "192.168.0.0/16", "::1/128"});
    if (cidrs.empty()) cidrs.push_back("10.0.0.0/8");
    return json{{op, {{"aws:SourceIp", cidrs}}}};
  }
  if (family <= 3) {
    return json{{"Bool", {{"aws:SecureTransport", Pick<std::string>({"true", "false"})}}}};
  }
  if (family <= 5) {
    std::string op = Pick<std::string>({"StringLike", "StringEquals", "StringNotLike"});
    if (OneIn(4)) op += "IfExists";
    std::vector<std::string> pool = {"a/", "a/*", "o*", "x/"};
    if (world.HasUsers()) pool.push_back("${aws:username}/*");
    auto values = Subset(pool, 2);
    if (values.empty()) values.push_back("a/");
    return json{{op, {{"s3:prefix", values}}}};
  }
  const std::string op = Pick<std::string>({"StringEquals", "StringNotEquals"});
  return json{{op, {{"aws:username", Pick(world.users)}}}};
}

std::vector<std::string> GenActions() {
  auto actions = Subset({"s3:*", "s3:Get*", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                         "s3:ListBucket", "s3:GetBucketLocation"},
                        4);
  if (actions.empty()) actions.push_back(Pick<std::string>({"s3:GetObject", "s3:ListBucket"}));
  return actions;
}

std::vector<std::string> ResourcePool(const PolicyWorld& world, const std::string& bucket) {
  std::vector<std::string> pool;
  const std::vector<std::string> buckets =
      bucket.empty() ? world.buckets : std::vector<std::string>{bucket};
  for (const std::string& b : buckets) {
    const std::string arn = "arn:aws:s3:::" + b;
    pool.push_back(arn);
    pool.push_back(arn + "/*");
    pool.push_back(arn + "/a/*");
    pool.push_back(arn + "/o?her");
    if (world.HasUsers()) pool.push_back(arn + "/${aws:username}/*");
  }
  // A bucket policy may name only its own bucket's resources (servers refuse others).
  if (!bucket.empty()) return pool;
  pool.push_back("arn:aws:s3:::*");
  // A wildcard over the run's common prefix (both buckets and nothing else).
  const std::string& first = world.buckets.front();
  pool.push_back("arn:aws:s3:::" + first.substr(0, first.size() - 1) + "*");
  return pool;
}

json GenStatement(const PolicyWorld& world, const std::string& bucket) {
  json st;
  st["Effect"] = OneIn(3) ? "Deny" : "Allow";
  st[OneIn(6) ? "NotAction" : "Action"] = GenActions();
  const std::vector<std::string> pool = ResourcePool(world, bucket);
  auto resources = Subset(pool, 3);
  if (resources.empty()) resources.push_back(Pick(pool));
  st[OneIn(8) ? "NotResource" : "Resource"] = resources;
  if (!bucket.empty()) {
    // Without an adapter the server's name for the session is unknown: only "*".
    if (!world.HasUsers() || OneIn(2)) {
      st["Principal"] = "*";
    } else {
      auto names = Subset(world.users, 2);
      if (names.empty()) names.push_back(Pick(world.users));
      st["Principal"] = json{{"AWS", names}};
    }
  }
  const int conditions = OneIn(2) ? *rc::gen::inRange(1, 3) : 0;
  if (conditions > 0) {
    json block = json::object();
    for (int i = 0; i < conditions; ++i) {
      const json condition = GenCondition(world);
      for (const auto& [op, keys] : condition.items()) {
        for (const auto& [key, values] : keys.items()) block[op][key] = values;
      }
    }
    st["Condition"] = block;
  }
  return st;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::vector<std::string> PolicyWorld::Keys() const {
  std::vector<std::string> keys = {"a/x", "a/b/y", "other", "x/z"};
  for (const std::string& u : users) keys.push_back(u + "/z");
  return keys;
}

std::string PolicyRequest::Describe() const {
  std::string out = caller == Caller::kAnonymous ? "anonymous"
                    : caller == Caller::kUser    ? "user " + user
                                                 : "session of " + (user.empty() ? "admin" : user);
  out += " " + op + " " + bucket;
  if (!key.empty()) out += "/" + key;
  if (op == "ListObjectsV2") out += " prefix=" + prefix + (delimiter ? " delimiter=/" : "");
  if (presigned) out += " presigned";
  out += tls ? " over TLS" : " over plain HTTP";
  return out;
}

json GenPolicy(const PolicyWorld& world, const std::string& bucket) {
  json statements = json::array();
  // Half the policies start with a broad Allow, so that the generated Deny statements often
  // meet an Allow they must override (random statements alone rarely overlap).
  if (OneIn(2)) {
    json broad = {{"Effect", "Allow"}, {"Action", "s3:*"}};
    if (bucket.empty()) {
      broad["Resource"] = "arn:aws:s3:::*";
    } else {
      broad["Principal"] = "*";
      broad["Resource"] = {"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"};
    }
    statements.push_back(broad);
  }
  const int n = *rc::gen::inRange(1, 4);
  for (int i = 0; i < n; ++i) statements.push_back(GenStatement(world, bucket));
  return json{{"Version", "2012-10-17"}, {"Statement", statements}};
}

PolicyRequest GenRequest(const PolicyWorld& world) {
  PolicyRequest r;
  const int who = *rc::gen::inRange(0, 6);
  if (who == 0) {
    r.caller = Caller::kAnonymous;
  } else if (!world.HasUsers() || who <= 2) {
    r.caller = Caller::kSession;
    if (world.HasUsers()) r.user = world.users.front();
  } else {
    r.caller = Caller::kUser;
    r.user = Pick(world.users);
  }
  r.op = Pick<std::string>({"GetObject", "HeadObject", "PutObject", "DeleteObject", "ListObjectsV2",
                            "GetBucketLocation"});
  r.bucket = Pick(world.buckets);
  if (r.op.ends_with("Object")) r.key = Pick(world.Keys());
  if (r.op == "ListObjectsV2") {
    std::vector<std::string> prefixes = {"a/", "a/b/", "o", "x/"};
    for (const std::string& u : world.users) prefixes.push_back(u + "/");
    r.prefix = Pick(prefixes);
    r.delimiter = OneIn(2);
  }
  r.presigned = r.caller != Caller::kAnonymous && r.op == "GetObject" && OneIn(3);
  if (world.can_tls && world.can_plain) {
    r.tls = !OneIn(3);
  } else {
    r.tls = world.can_tls;
  }
  return r;
}

PolicyCase GenCase(const PolicyWorld& world) {
  PolicyCase c;
  for (const std::string& u : world.users) c.identity[u] = GenPolicy(world, "");
  for (const std::string& b : world.buckets) {
    c.bucket[b] = OneIn(3) ? std::nullopt : std::optional<json>(GenPolicy(world, b));
  }
  c.session = GenPolicy(world, "");
  // A fixed count per case (shrinking then works on each request, not on the count, which
  // would keep only the first requests).
  const auto count = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  c.requests = *rc::gen::container<std::vector<PolicyRequest>>(
      count, rc::gen::exec([&world] { return GenRequest(world); }));
  return c;
}

std::string ActionOf(const std::string& op) {
  if (op == "GetObject" || op == "HeadObject") return "s3:GetObject";
  if (op == "PutObject") return "s3:PutObject";
  if (op == "DeleteObject") return "s3:DeleteObject";
  if (op == "ListObjectsV2") return "s3:ListBucket";
  return "s3:GetBucketLocation";
}

reference::Outcome Predict(const PolicyCase& c, const PolicyRequest& r,
                           const std::string& source_ip) {
  reference::Request q;
  q.action = ActionOf(r.op);
  q.resource = "arn:aws:s3:::" + r.bucket + (r.key.empty() ? "" : "/" + r.key);
  q.anonymous = r.caller == Caller::kAnonymous;
  auto& ctx = q.context;
  ctx["aws:sourceip"] = {source_ip};
  ctx["aws:securetransport"] = {r.tls ? "true" : "false"};
  if (r.op == "ListObjectsV2") {
    ctx["s3:prefix"] = {r.prefix};
    if (r.delimiter) ctx["s3:delimiter"] = {"/"};
  }
  reference::Policies p;
  if (!q.anonymous && !r.user.empty()) {
    q.principal = r.user;
    ctx["aws:username"] = {r.user};
  }
  if (r.caller == Caller::kUser) {
    p.identity.push_back(c.identity.at(r.user));
  } else if (r.caller == Caller::kSession) {
    if (r.user.empty()) {
      // The admin's session: bounded by the session policy alone.
      p.identity.push_back(c.session);
    } else {
      p.identity.push_back(c.identity.at(r.user));
      p.session = &c.session;
    }
  }
  const auto it = c.bucket.find(r.bucket);
  if (it != c.bucket.end() && it->second) p.bucket = &*it->second;
  return reference::Decide(p, q);
}

S3Request ToS3Request(const PolicyRequest& r) {
  S3Request s;
  s.bucket = r.bucket;
  s.key = r.key;
  s.plain = !r.tls;
  if (r.op == "HeadObject") s.method = "HEAD";
  if (r.op == "PutObject") {
    s.method = "PUT";
    s.body = "conform-put";
  }
  if (r.op == "DeleteObject") s.method = "DELETE";
  if (r.op == "ListObjectsV2") {
    s.query = {{"list-type", "2"}, {"prefix", r.prefix}};
    if (r.delimiter) s.query.emplace_back("delimiter", "/");
  }
  if (r.op == "GetBucketLocation") s.query = {{"location", ""}};
  return s;
}

std::string Reproduction(const PolicyCase& c, const PolicyRequest& r,
                         const std::string& endpoint_url, const std::string& region) {
  std::string out;
  if (r.caller == Caller::kUser) {
    out += "# identity policy of user " + r.user + "\n" + c.identity.at(r.user).dump(2) + "\n";
  }
  if (r.caller == Caller::kSession) {
    if (!r.user.empty()) {
      out += "# identity policy of user " + r.user + "\n" + c.identity.at(r.user).dump(2) + "\n";
    }
    out +=
        "# session policy (aws sts assume-role --role-arn arn:aws:iam::000000000000:role/x "
        "--role-session-name conform --policy file://session.json)\n" +
        c.session.dump(2) + "\n";
  }
  const auto it = c.bucket.find(r.bucket);
  if (it != c.bucket.end() && it->second) {
    out += "# bucket policy: aws s3api put-bucket-policy --bucket " + r.bucket +
           " --policy file://bucket.json\n" + it->second->dump(2) + "\n";
  } else {
    out += "# bucket " + r.bucket + " has no bucket policy\n";
  }
  const S3Request s = ToS3Request(r);
  std::string url = endpoint_url + TargetOf(s);
  out += "# the request (" + r.Describe() + ")\ncurl -sS -o /dev/null -w '%{http_code}\\n'";
  if (s.method == "HEAD") {
    out += " -I";
  } else if (s.method != "GET") {
    out += " -X " + s.method;
  }
  if (s.method == "PUT") out += " --data-binary " + ShellQuote(s.body);
  if (r.caller != Caller::kAnonymous) {
    out += " --aws-sigv4 " + ShellQuote("aws:amz:" + region + ":s3") +
           " --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"" +
           " -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'";
    if (r.caller == Caller::kSession) out += " -H \"x-amz-security-token: $AWS_SESSION_TOKEN\"";
  }
  out += " " + ShellQuote(url) + "\n";
  return out;
}

}  // namespace coffer::conform
