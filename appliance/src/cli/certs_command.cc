// `coffer certs generate`: a local CA and a server certificate with SANs, for
// air-gapped sites that have no CA of their own. The output folder is a ready
// certs dir; the CA's private key is written apart from it, so the appliance
// never holds the key that could mint more certificates.

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "options.h"

namespace coffer::cli {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key NewKey() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// An unsigned certificate for `key`, issued by `issuer` (itself when null).
Cert NewCert(EVP_PKEY* key, const std::string& cn, long days, X509* issuer) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // Positive.
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Coffer"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  return cert;
}

bool WritePem(const std::string& path, bool private_key, EVP_PKEY* key,
              const std::vector<X509*>& certs) {
  const mode_t old = ::umask(private_key ? 077 : 022);
  FILE* f = std::fopen(path.c_str(), "w");
  ::umask(old);
  if (f == nullptr) return false;
  bool ok = true;
  if (private_key) {
    ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  }
  for (X509* c : certs) ok = ok && PEM_write_X509(f, c) == 1;
  return std::fclose(f) == 0 && ok;
}

bool MakeDir(const std::string& path) {
  return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

int Generate(const std::vector<std::string>& hosts, const std::vector<std::string>& ips,
             const std::string& out) {
  if (hosts.empty() && ips.empty()) {
    std::fprintf(stderr, "coffer certs generate: give at least one --host or --ip\n");
    return 2;
  }
  const std::string ca_key_path = out + ".ca-key.pem";
  Key ca_key = NewKey();
  Key key = NewKey();
  if (!ca_key || !key) {
    std::fprintf(stderr, "coffer certs generate: key generation failed\n");
    return 1;
  }
  const std::string first = hosts.empty() ? ips.front() : hosts.front();
  Cert ca = NewCert(ca_key.get(), "Coffer local CA for " + first, 3650, nullptr);
  bool ok = AddExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
            AddExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign") &&
            AddExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash") &&
            X509_sign(ca.get(), ca_key.get(), EVP_sha256()) > 0;
  std::string san;
  for (const auto& h : hosts) san += (san.empty() ? "DNS:" : ",DNS:") + h;
  for (const auto& ip : ips) san += (san.empty() ? "IP:" : ",IP:") + ip;
  // 825 days: the longest validity that every major client still accepts.
  Cert server = NewCert(key.get(), first, 825, ca.get());
  ok = ok && AddExt(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") &&
       AddExt(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature") &&
       AddExt(server.get(), ca.get(), NID_ext_key_usage, "serverAuth") &&
       AddExt(server.get(), ca.get(), NID_subject_alt_name, san) &&
       AddExt(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always") &&
       X509_sign(server.get(), ca_key.get(), EVP_sha256()) > 0;
  if (!ok) {
    std::fprintf(stderr, "coffer certs generate: bad --host or --ip value\n");
    return 2;
  }
  ok = MakeDir(out) && MakeDir(out + "/CAs") &&
       WritePem(out + "/public.crt", false, nullptr, {server.get(), ca.get()}) &&
       WritePem(out + "/private.key", true, key.get(), {}) &&
       WritePem(out + "/CAs/coffer-local-ca.crt", false, nullptr, {ca.get()}) &&
       WritePem(ca_key_path, true, ca_key.get(), {});
  if (!ok) {
    std::fprintf(stderr, "coffer certs generate: cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("certs dir:      %s (public.crt, private.key, CAs/coffer-local-ca.crt)\n",
              out.c_str());
  std::printf("CA certificate: %s/CAs/coffer-local-ca.crt (give it to clients)\n", out.c_str());
  std::printf("CA private key: %s (keep it off the appliance)\n", ca_key_path.c_str());
  return 0;
}

}  // namespace

int RunCerts(const Args& args) {
  if (args.empty() || args[0] != "generate") {
    std::fprintf(stderr, "usage: coffer certs generate --host NAME... [--ip ADDR...] --out DIR\n");
    return args.empty() || args[0] == "--help" ? (args.empty() ? 2 : 0) : 2;
  }
  std::vector<std::string> hosts;
  std::vector<std::string> ips;
  std::string out;
  po::options_description desc("coffer certs generate");
  desc.add_options()("host", po::value(&hosts)->multitoken(), "DNS names for the certificate")(
      "ip", po::value(&ips)->multitoken(), "IP addresses for the certificate")(
      "out", po::value(&out)->required(), "certs dir to create");
  po::variables_map vm;
  const Args rest(args.begin() + 1, args.end());
  if (auto exit = ParseFlags("coffer certs generate", desc, rest, vm)) return *exit;
  return Generate(hosts, ips, out);
}

}  // namespace coffer::cli
