#pragma once
// The exporter-toolkit web configuration file (--web.config.file): TLS for /metrics and basic
// auth with bcrypt hashes. Loaded once at start-up; strict like the toolkit (unknown keys are
// errors). See https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
// http_server_config.headers: each name an RFC 9110 token, not repeated but for case; each value
// without CR, LF or another control character; and no header the server writes itself or that
// frames the answer or manages the connection (Content-Length, Transfer-Encoding, Connection,
// Content-Type, Content-Encoding, Cache-Control, ...: web_config.cpp k_refused_headers). The
// toolkit itself allows only five security headers (exporter-toolkit web/handler.go
// extraHTTPHeaders); every toolkit web config passes here.
#include <map>
#include <optional>
#include <string>

namespace kci {

struct TlsServerConfig {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  std::string client_auth_type = "NoClientCert";
  std::string min_version = "TLS12";
  std::string max_version;  // "" = highest supported
};

struct WebConfig {
  std::optional<TlsServerConfig> tls;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  std::map<std::string, std::string> headers;           // http_server_config.headers
};

// Throws ConfigError("web.config.file: <key>: <problem>") naming the key and value. Ends with
// check_web_config: what it returns, the server serves with.
WebConfig load_web_config(const std::string& path);

// The same from text already read; `name` is used in errors, relative paths resolve against
// `base_dir`.
WebConfig parse_web_config(const std::string& text, const std::string& name,
                           const std::string& base_dir);

// Every check serve makes of a web config before it serves with it, throwing the ConfigError it
// would: each header as above; the TLS files (tls_material.hpp verify_tls_files); then the TLS
// context itself, built on a scratch SSL_CTX by the very function the server uses
// (tls_context.hpp configure_tls), so what OpenSSL's TLS server refuses (a key below its
// security level, a chain it cannot load) is refused here too. parse_web_config ends with it
// (so check-config, start-up and SIGHUP reload run exactly this), and WebServer runs it on the
// config it is handed (issue 21 item C: check-config accepted a web config serve refused).
void check_web_config(const WebConfig& web);

}  // namespace kci
