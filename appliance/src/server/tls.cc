// Builds OpenSSL server contexts from a certs dir. Every context of one load
// ("generation") is configured identically except for its certificate, so
// switching context on SNI changes nothing but the certificate presented.

#include "coffer/server/tls.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace coffer::server {

namespace ssl = boost::asio::ssl;

namespace {

// SECURITY: TLS 1.2 suites limited to ECDHE key exchange with AEAD ciphers
// (forward secrecy, no CBC padding oracles); TLS 1.3 suites are all AEAD.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> ListDir(const std::string& dir, bool want_dirs) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
    if (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool FileMentions(const std::string& path, std::string_view needle) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str().find(needle) != std::string::npos;
}

}  // namespace

struct TlsContexts::Generation {
  struct Domain {
    std::string name;
    std::shared_ptr<ssl::context> ctx;
  };
  std::shared_ptr<ssl::context> default_ctx;
  std::vector<Domain> domains;
  std::string passphrase;  // Outlives the contexts that point at it.
};

namespace {

// Chooses the certificate for the name the client asked for (SNI).
int ServerNameCallback(SSL* ssl_conn, int* /*alert*/, void* arg) {
  const auto* gen = static_cast<const TlsContexts::Generation*>(arg);
  const char* name = SSL_get_servername(ssl_conn, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  for (const auto& d : gen->domains) {
    X509* cert = SSL_CTX_get0_certificate(d.ctx->native_handle());
    if (d.name == name || (cert != nullptr && X509_check_host(cert, name, 0, 0, nullptr) == 1)) {
      SSL_set_SSL_CTX(ssl_conn, d.ctx->native_handle());
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_OK;  // Unknown names get the default certificate.
}

base::Status LoadCas(SSL_CTX* ctx, const TlsOptions& options) {
  const std::string dir = options.certs_dir + "/CAs";
  // The CA names go into the CertificateRequest so clients pick the right
  // certificate. The context takes ownership of the stack.
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  std::size_t loaded = 0;
  for (const auto& name : ListDir(dir, /*want_dirs=*/false)) {
    const std::string path = dir + "/" + name;
    if (SSL_CTX_load_verify_file(ctx, path.c_str()) != 1 ||
        SSL_add_file_cert_subjects_to_stack(names, path.c_str()) != 1) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      return base::InvalidArgument(path + ": not a PEM CA certificate: " + OpenSslError());
    }
    ++loaded;
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  if (options.client_auth == ClientAuth::kRequired && loaded == 0) {
    return base::FailedPrecondition(dir +
                                    ": client certificates are required but no CA is trusted");
  }
  return base::Ok();
}

base::Result<std::shared_ptr<ssl::context>> BuildContext(const std::string& dir,
                                                         const TlsOptions& options,
                                                         const std::string& passphrase) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* n = ctx->native_handle();
  SSL_CTX_set_min_proto_version(n, TLS1_2_VERSION);
  SSL_CTX_set_options(n, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // A mutable array: the groups macro casts its argument to char*, which
  // clang's -Wcast-qual refuses for a string literal.
  char groups[] = "X25519:P-256:P-384";
  if (SSL_CTX_set_cipher_list(n, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(n, kTls13Suites) != 1 || SSL_CTX_set1_groups_list(n, groups) != 1) {
    return base::Internal("cannot configure TLS ciphers: " + OpenSslError());
  }
  // Through Asio, which owns the callback's user data (setting it directly
  // would make the context's destructor free our pointer).
  ctx->set_password_callback(
      [&passphrase](std::size_t, ssl::context::password_purpose) { return passphrase; });
  const std::string crt = dir + "/public.crt";
  const std::string key = dir + "/private.key";
  if (SSL_CTX_use_certificate_chain_file(n, crt.c_str()) != 1) {
    return base::InvalidArgument(crt + ": not a PEM certificate chain: " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(n, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_clear_error();
    if (passphrase.empty() && FileMentions(key, "ENCRYPTED")) {
      return base::InvalidArgument(key + ": the key is encrypted; set COFFER_CERT_PASSWD");
    }
    return base::InvalidArgument(key + ": not a PEM private key, or wrong passphrase");
  }
  if (SSL_CTX_check_private_key(n) != 1) {
    ERR_clear_error();
    return base::InvalidArgument(key + ": does not match " + crt);
  }
  COFFER_RETURN_IF_ERROR(LoadCas(n, options));
  static constexpr unsigned char kSessionContext[] = "coffer";
  SSL_CTX_set_session_id_context(n, kSessionContext, sizeof(kSessionContext) - 1);
  switch (options.client_auth) {
    case ClientAuth::kNone:
      SSL_CTX_set_verify(n, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kOptional:
      SSL_CTX_set_verify(n, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequired:
      SSL_CTX_set_verify(n, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  return ctx;
}

// Sizes and modification times of every file that Load() reads.
std::string Fingerprint(const std::string& certs_dir) {
  std::string out;
  auto add = [&out](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return;
    out += path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ";";
  };
  add(certs_dir + "/public.crt");
  add(certs_dir + "/private.key");
  for (const auto& sub : ListDir(certs_dir, /*want_dirs=*/true)) {
    if (sub == "CAs") {
      for (const auto& f : ListDir(certs_dir + "/CAs", false)) add(certs_dir + "/CAs/" + f);
    } else {
      add(certs_dir + "/" + sub + "/public.crt");
      add(certs_dir + "/" + sub + "/private.key");
    }
  }
  return out;
}

base::Result<std::shared_ptr<TlsContexts::Generation>> BuildGeneration(const TlsOptions& options) {
  auto gen = std::make_shared<TlsContexts::Generation>();
  gen->passphrase = options.key_passphrase;
  COFFER_ASSIGN_OR_RETURN(gen->default_ctx,
                          BuildContext(options.certs_dir, options, gen->passphrase));
  for (const auto& sub : ListDir(options.certs_dir, /*want_dirs=*/true)) {
    if (sub == "CAs") continue;
    const std::string dir = options.certs_dir + "/" + sub;
    if (!IsFile(dir + "/public.crt")) continue;
    COFFER_ASSIGN_OR_RETURN(auto ctx, BuildContext(dir, options, gen->passphrase));
    gen->domains.push_back({sub, std::move(ctx)});
  }
  SSL_CTX_set_tlsext_servername_callback(gen->default_ctx->native_handle(), ServerNameCallback);
  SSL_CTX_set_tlsext_servername_arg(gen->default_ctx->native_handle(), gen.get());
  return gen;
}

}  // namespace

TlsContexts::~TlsContexts() = default;

bool TlsContexts::Present(const std::string& certs_dir) {
  return IsFile(certs_dir + "/public.crt") && IsFile(certs_dir + "/private.key");
}

base::Result<std::shared_ptr<TlsContexts>> TlsContexts::Load(const TlsOptions& options) {
  if (!Present(options.certs_dir)) {
    return base::NotFound(options.certs_dir + ": no public.crt and private.key");
  }
  std::shared_ptr<TlsContexts> contexts(new TlsContexts(options));
  contexts->fingerprint_ = Fingerprint(options.certs_dir);
  COFFER_ASSIGN_OR_RETURN(contexts->current_, BuildGeneration(options));
  return contexts;
}

std::shared_ptr<ssl::context> TlsContexts::Default() const {
  std::lock_guard lock(mu_);
  // Aliasing: the caller holds the whole generation, SNI contexts included.
  return std::shared_ptr<ssl::context>(current_, current_->default_ctx.get());
}

base::Result<bool> TlsContexts::ReloadIfChanged() {
  const std::string fp = Fingerprint(options_.certs_dir);
  {
    std::lock_guard lock(mu_);
    if (fp == fingerprint_) return false;
  }
  auto gen = BuildGeneration(options_);
  std::lock_guard lock(mu_);
  // Remember the files either way, so a broken file is reported once, not on
  // every poll; a later fix changes the fingerprint again.
  fingerprint_ = fp;
  if (!gen.has_value()) return gen.error();
  current_ = std::move(gen).value();
  return true;
}

}  // namespace coffer::server
