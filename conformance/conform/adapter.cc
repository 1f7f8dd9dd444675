#include "adapter.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "coffer/state/seal.h"

namespace coffer::conform {
namespace {

using nlohmann::json;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string TomlKey(const std::string& s) { return json(s).dump(); }

class CofferAdapter final : public Adapter {
 public:
  CofferAdapter(CofferAdapterOptions options, S3Client& s3, base::Random& random,
                std::string public_key)
      : options_(std::move(options)), s3_(s3), random_(random), public_key_(std::move(public_key)) {
    file_ = (std::filesystem::path(options_.repo_dir) / (options_.run_prefix + ".toml")).string();
    git_ = std::filesystem::exists(std::filesystem::path(options_.repo_dir) / ".git");
    marker_ = options_.run_prefix + "-m";
    for (int i = 1; i <= options_.user_count; ++i) {
      users_[options_.run_prefix + "-u" + std::to_string(i)] =
          Credentials{options_.run_prefix + "-u" + std::to_string(i),
                      base::Secret(RandomSecret(random_, 32)), ""};
    }
    marker_credentials_ = Credentials{marker_, base::Secret(RandomSecret(random_, 32)), ""};
  }

  ~CofferAdapter() override { (void)Cleanup(); }

  std::string Name() const override { return "coffer"; }
  const std::map<std::string, Credentials>& Users() const override { return users_; }

  base::Status SetPolicies(const std::map<std::string, json>& policies) override {
    if (sealed_.empty()) {
      for (const auto& [name, c] : users_) {
        COFFER_ASSIGN_OR_RETURN(sealed_[name],
                                state::Seal(c.secret_key.Reveal(), public_key_, random_));
      }
      COFFER_ASSIGN_OR_RETURN(sealed_[marker_], state::Seal(marker_credentials_.secret_key.Reveal(),
                                                            public_key_, random_));
    }
    ++generation_;
    COFFER_RETURN_IF_ERROR(
        Write(AdapterToml(sealed_, policies, marker_, options_.probe_bucket, generation_)));
    written_ = true;
    return WaitFor([this] { return MarkerStatus() == 200; }, "the config repo revision");
  }

  base::Status Cleanup() override {
    if (!written_) return base::Ok();
    std::error_code ec;
    std::filesystem::remove(file_, ec);
    if (git_) {
      Git("rm -q --cached --ignore-unmatch -- " + ShellQuote(file_));
      Git("commit -q -m " + ShellQuote("coffer conform: remove " + options_.run_prefix));
    }
    written_ = false;
    // Unknown key: 403 InvalidAccessKeyId.
    return WaitFor([this] { return MarkerStatus() == 403; }, "the removal of the run's users");
  }

 private:
  base::Status Write(const std::string& toml) {
    {
      std::ofstream out(file_ + ".tmp", std::ios::trunc);
      out << toml;
      if (!out.flush()) return base::Unavailable("cannot write " + file_);
    }
    std::error_code ec;
    std::filesystem::rename(file_ + ".tmp", file_, ec);
    if (ec) return base::Unavailable("cannot write " + file_ + ": " + ec.message());
    if (git_) {
      Git("add -- " + ShellQuote(file_));
      Git("commit -q -m " + ShellQuote("coffer conform: " + options_.run_prefix + " revision " +
                                       std::to_string(generation_)));
    }
    return base::Ok();
  }

  void Git(const std::string& args) {
    const std::string cmd = "git -C " + ShellQuote(options_.repo_dir) +
                            " -c user.name=coffer-conform -c user.email=conform@localhost " +
                            "-c commit.gpgsign=false " + args + " >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
  }

  unsigned MarkerStatus() {
    S3Request r;
    r.bucket = options_.probe_bucket;
    r.query = {{"list-type", "2"}, {"prefix", "gen-" + std::to_string(generation_)}};
    auto resp = s3_.Send(r, &marker_credentials_);
    return resp.has_value() ? resp->status : 0;
  }

  template <typename F>
  base::Status WaitFor(F done, const std::string& what) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.wait_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return base::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return base::Unavailable("the server did not apply " + what + " within " +
                             std::to_string(options_.wait_ms) + " ms (is `coffer serve --config " +
                             options_.repo_dir + "` running, and is the seal key its own?)");
  }

  CofferAdapterOptions options_;
  S3Client& s3_;
  base::Random& random_;
  std::string public_key_;
  std::string file_;
  bool git_ = false;
  bool written_ = false;
  int generation_ = 0;
  std::string marker_;
  Credentials marker_credentials_;
  std::map<std::string, Credentials> users_;
  std::map<std::string, std::string> sealed_;
};

}  // namespace

std::string RandomSecret(base::Random& random, int n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < n; ++i) out += kAlphabet[random.Uniform(0, sizeof(kAlphabet) - 2)];
  return out;
}

std::string AdapterToml(const std::map<std::string, std::string>& sealed,
                        const std::map<std::string, json>& policies, const std::string& marker_user,
                        const std::string& probe_bucket, int generation) {
  std::string out =
      "# Written by `coffer conform` for one run; it removes this file when it ends.\n";
  for (const auto& [user, secret] : sealed) {
    out += "\n[users." + TomlKey(user) + "]\nsecret = " + json(secret).dump() + "\npolicies = [" +
           TomlKey(user + "-policy") + "]\n";
  }
  for (const auto& [user, doc] : policies) {
    out += "\n[policies." + TomlKey(user + "-policy") + "]\njson = '''" + doc.dump() + "'''\n";
  }
  const json marker = {
      {"Version", "2012-10-17"},
      {"Statement",
       {{{"Effect", "Allow"},
         {"Action", "s3:ListBucket"},
         {"Resource", "arn:aws:s3:::" + probe_bucket},
         {"Condition",
          {{"StringEquals", {{"s3:prefix", "gen-" + std::to_string(generation)}}}}}}}}};
  out +=
      "\n[policies." + TomlKey(marker_user + "-policy") + "]\njson = '''" + marker.dump() + "'''\n";
  return out;
}

base::Result<std::unique_ptr<Adapter>> MakeCofferAdapter(CofferAdapterOptions options, S3Client& s3,
                                                         base::Random& random) {
  if (!std::filesystem::is_directory(options.repo_dir)) {
    return base::InvalidArgument("--config-repo " + options.repo_dir + " is not a folder");
  }
  COFFER_ASSIGN_OR_RETURN(std::string key, state::DecodeSealPublicKey(options.seal_key_pub));
  return std::unique_ptr<Adapter>(
      std::make_unique<CofferAdapter>(std::move(options), s3, random, std::move(key)));
}

}  // namespace coffer::conform
