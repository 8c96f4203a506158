#pragma once
// The exporter-toolkit web configuration file (--web.config.file): TLS for /metrics and basic
// auth with bcrypt hashes. Loaded once at start-up; strict like the toolkit (unknown keys are
// errors). See https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

typedef struct ssl_ctx_st SSL_CTX;

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

// Throws ConfigError("web.config.file: <key>: <problem>") naming the key and value.
WebConfig load_web_config(const std::string& path);

// Configures an OpenSSL server context from tls; false (with `error` set) when it cannot.
bool configure_tls(SSL_CTX& ctx, const TlsServerConfig& tls, std::string& error);

// Verifies `Authorization: Basic ...` against bcrypt hashes. Unknown users are checked against
// a fake hash so their timing matches known users'; successes are cached (as SHA-256 digests of
// user:password:hash) so a scrape does not pay for bcrypt every time.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !m_users.empty(); }
  bool check(const std::string& authorization_header);

 private:
  std::map<std::string, std::string> m_users;
  std::mutex m_mutex;
  std::unordered_set<std::string> m_cache;
};

}  // namespace kci
