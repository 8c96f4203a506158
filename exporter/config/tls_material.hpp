#pragma once
// The PEM files a tls_server_config names, checked the way the TLS server will use them, so that
// check-config and start-up refuse (exit 2) what OpenSSL would otherwise refuse only later.
#include "exporter/config/web_config.hpp"

namespace kci {

// Reads cert_file, key_file and client_ca_file (when set) with read_config_file and parses them
// with OpenSSL: cert_file must hold at least one PEM certificate (the first is the server's; the
// rest is its chain), key_file an unencrypted PEM private key that matches that certificate,
// client_ca_file at least one PEM certificate. An encrypted key is refused rather than prompting
// for a passphrase on the terminal. Throws ConfigError, one line each:
//   web.config.file: tls_server_config.cert_file: "<path>" holds no PEM certificate
//   web.config.file: tls_server_config.key_file: "<path>" holds no unencrypted PEM private key
//   web.config.file: tls_server_config.key_file: "<path>" does not match the certificate in
//   "<cert>" web.config.file: tls_server_config.client_ca_file: "<path>" holds no PEM certificate
// and read_config_file's errors for a missing, special or oversized file.
void verify_tls_files(const TlsServerConfig& tls);

}  // namespace kci
