#pragma once
// An OpenSSL server context configured from the web config's tls_server_config.
#include <string>

#include "exporter/config/web_config.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace kci {

// Configures an OpenSSL server context from tls; false (with `error` set) when it cannot.
bool configure_tls(SSL_CTX& ctx, const TlsServerConfig& tls, std::string& error);

}  // namespace kci
