#include "exporter/config/web_config.hpp"

#include <openssl/ssl.h>  // TLS1_*_VERSION
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw ConfigError("web.config.file: " + key + ": " + why);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(key, "expected a plain value");
  return node.as<std::string>();
}

void require_readable(const std::string& key, const std::string& path) {
  if (path.empty()) fail(key, "must be set");
  std::ifstream in(path);
  if (!in) fail(key, "cannot read \"" + path + "\"");
}

int tls_version(const std::string& key, const std::string& v) {
  if (v == "TLS10") return TLS1_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS12") return TLS1_2_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  fail(key, "invalid value \"" + v + "\": expected TLS10, TLS11, TLS12 or TLS13");
}

// A bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters of salt+digest).
bool is_bcrypt(const std::string& h) {
  return h.size() == 60 && h[0] == '$' && h[1] == '2' &&
         (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$' && h[6] == '$';
}

// Relative paths are relative to the web config file, as in exporter-toolkit.
std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

}  // namespace

WebConfig load_web_config(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) throw ConfigError("web.config.file: cannot read \"" + path + "\"");
  return parse_web_config(text.str(), path, base_dir);
}

WebConfig parse_web_config(const std::string& text, const std::string& name,
                           const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("web.config.file: \"" + name + "\" is not valid YAML: " + e.msg +
                      " at line " + std::to_string(e.mark.line + 1));
  }
  WebConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) fail("(root)", "expected a mapping");
  for (const auto& top : root) {
    const std::string key = scalar(top.first, "(key)");
    const YAML::Node& node = top.second;
    if (key == "tls_server_config") {
      if (!node.IsMap()) fail(key, "expected a mapping");
      TlsServerConfig tls;
      for (const auto& e : node) {
        const std::string k = scalar(e.first, key + " (key)");
        const std::string full = key + "." + k;
        if (k == "cert_file")
          tls.cert_file = resolve(base_dir, scalar(e.second, full));
        else if (k == "key_file")
          tls.key_file = resolve(base_dir, scalar(e.second, full));
        else if (k == "client_ca_file")
          tls.client_ca_file = resolve(base_dir, scalar(e.second, full));
        else if (k == "client_auth_type")
          tls.client_auth_type = scalar(e.second, full);
        else if (k == "min_version")
          tls.min_version = scalar(e.second, full);
        else if (k == "max_version")
          tls.max_version = scalar(e.second, full);
        else if (k == "cipher_suites" || k == "curve_preferences" ||
                 k == "prefer_server_cipher_suites")
          continue;  // Go crypto/tls knobs: OpenSSL's defaults apply
        else
          fail(full, "unknown key");
      }
      require_readable(key + ".cert_file", tls.cert_file);
      require_readable(key + ".key_file", tls.key_file);
      tls_version(key + ".min_version", tls.min_version);
      if (!tls.max_version.empty()) {
        if (tls_version(key + ".max_version", tls.max_version) <
            tls_version(key + ".min_version", tls.min_version))
          fail(key + ".max_version", "is lower than min_version");
      }
      const auto& t = tls.client_auth_type;
      if (t != "NoClientCert" && t != "RequestClientCert" && t != "RequireAnyClientCert" &&
          t != "VerifyClientCertIfGiven" && t != "RequireAndVerifyClientCert")
        fail(key + ".client_auth_type", "invalid value \"" + t + "\"");
      if (!tls.client_ca_file.empty()) {
        require_readable(key + ".client_ca_file", tls.client_ca_file);
        if (t == "NoClientCert") tls.client_auth_type = "RequireAndVerifyClientCert";
      } else if (t == "VerifyClientCertIfGiven" || t == "RequireAndVerifyClientCert") {
        fail(key + ".client_ca_file", "must be set when client_auth_type is " + t);
      }
      config.tls = tls;
    } else if (key == "basic_auth_users") {
      if (!node.IsMap()) fail(key, "expected a mapping of user: bcrypt hash");
      for (const auto& e : node) {
        const std::string user = scalar(e.first, key + " (user name)");
        const std::string hash = scalar(e.second, key + "." + user);
        if (!is_bcrypt(hash)) fail(key + "." + user, "not a bcrypt hash (expected $2y$...)");
        config.basic_auth_users[user] = hash;
      }
    } else if (key == "http_server_config") {
      if (!node.IsMap()) fail(key, "expected a mapping");
      for (const auto& e : node) {
        const std::string k = scalar(e.first, key + " (key)");
        if (k == "http2") continue;  // HTTP/1.1 only; accepted for compatibility
        if (k != "headers") fail(key + "." + k, "unknown key");
        if (!e.second.IsMap()) fail(key + ".headers", "expected a mapping");
        for (const auto& h : e.second)
          config.headers[scalar(h.first, key + ".headers (key)")] =
              scalar(h.second, key + ".headers");
      }
    } else {
      fail(key, "unknown key");
    }
  }
  return config;
}

}  // namespace kci
