#include "coffer/core/auth/signing_key_cache.h"

namespace coffer::core::auth {
namespace {

std::string_view View(const Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace

base::Secret DeriveSigningKey(const Crypto& crypto, const base::Secret& secret_key,
                              std::string_view date, std::string_view region,
                              std::string_view service) {
  std::string k_secret = "AWS4";
  k_secret += secret_key.Reveal();
  Sha256Digest k = crypto.HmacSha256(k_secret, date);
  base::Secret wipe_secret(std::move(k_secret));  // Wiped on scope exit.
  k = crypto.HmacSha256(View(k), region);
  k = crypto.HmacSha256(View(k), service);
  k = crypto.HmacSha256(View(k), "aws4_request");
  base::Secret out{std::string(View(k))};
  volatile unsigned char* p = k.data();
  for (std::size_t i = 0; i < k.size(); ++i) p[i] = 0;
  return out;
}

base::Secret SigningKeyCache::Get(const Crypto& crypto, const base::Secret& secret_key,
                                  std::string_view date, std::string_view region,
                                  std::string_view service) {
  std::string material(secret_key.Reveal());
  // INVARIANT: NUL separators make the tuple encoding unambiguous (none of
  // the fields can contain NUL after parsing).
  material += '\0';
  material += date;
  material += '\0';
  material += region;
  material += '\0';
  material += service;
  const Sha256Digest digest = crypto.Sha256(material);
  base::Secret wipe(std::move(material));
  std::string id(View(digest));
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = keys_.find(id);
    if (it != keys_.end()) return it->second;
  }
  base::Secret key = DeriveSigningKey(crypto, secret_key, date, region, service);
  std::lock_guard<std::mutex> lock(mu_);
  if (keys_.size() >= capacity_) keys_.clear();
  keys_.emplace(std::move(id), key);
  return key;
}

std::size_t SigningKeyCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_.size();
}

}  // namespace coffer::core::auth
