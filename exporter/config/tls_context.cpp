#include "exporter/config/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace kci {
namespace {

int tls_version(const std::string& v) {
  if (v == "TLS10") return TLS1_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS12") return TLS1_2_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;  // load_web_config() accepted only the four names above
}

// `tls_server_config.<key>: "<path>" is refused by the TLS server: <OpenSSL's reason>`.
std::string refusal(const char* key, const std::string& path) {
  const unsigned long err = ERR_peek_last_error();
  const char* reason = err ? ERR_reason_error_string(err) : nullptr;
  ERR_clear_error();
  return std::string("tls_server_config.") + key + ": \"" + path +
         "\" is refused by the TLS server: " + (reason ? reason : "unknown reason");
}

}  // namespace

bool configure_tls(SSL_CTX& ctx, const TlsServerConfig& tls, std::string& error) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert_file.c_str()) != 1) {
    error = refusal("cert_file", tls.cert_file);
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(&ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    error = refusal("key_file", tls.key_file);
    return false;
  }
  SSL_CTX_set_min_proto_version(&ctx, tls_version(tls.min_version));
  if (!tls.max_version.empty()) SSL_CTX_set_max_proto_version(&ctx, tls_version(tls.max_version));
  int mode = SSL_VERIFY_NONE;
  const auto& t = tls.client_auth_type;
  if (t == "RequestClientCert" || t == "VerifyClientCertIfGiven") mode = SSL_VERIFY_PEER;
  if (t == "RequireAnyClientCert" || t == "RequireAndVerifyClientCert")
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      error = refusal("client_ca_file", tls.client_ca_file);
      return false;
    }
    SSL_CTX_set_client_CA_list(&ctx, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  if (t == "RequestClientCert" || t == "RequireAnyClientCert") {
    // Any certificate is accepted: the chain is not verified.
    SSL_CTX_set_verify(&ctx, mode, [](int, X509_STORE_CTX*) { return 1; });
  } else {
    SSL_CTX_set_verify(&ctx, mode, nullptr);
  }
  return true;
}

}  // namespace kci
