#pragma once
// An OpenSSL server context configured from the web config's tls_server_config: the one
// function the TLS server (serve/web_server) builds its context with, and the one
// check_web_config (web_config.hpp) runs on a scratch context, so check-config, start-up and
// SIGHUP refuse exactly what the server would.
#include <string>

#include "exporter/config/web_config.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace kci {

// Configures an OpenSSL server context from tls; false (with `error` set) when it cannot.
// `error` names the key, the file and OpenSSL's reason, one line:
//   tls_server_config.cert_file: "<path>" is refused by the TLS server: ee key too small
// (a key OpenSSL's security level refuses, e.g. RSA under 1024 bits at the default level 1).
bool configure_tls(SSL_CTX& ctx, const TlsServerConfig& tls, std::string& error);

}  // namespace kci
