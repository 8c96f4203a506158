#include "exporter/config/web_config.hpp"

#include <openssl/ssl.h>  // TLS1_*_VERSION
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "exporter/config/bcrypt_hash.hpp"
#include "exporter/config/strict_yaml.hpp"
#include "exporter/config/tls_context.hpp"
#include "exporter/config/tls_material.hpp"
#include "exporter/config/value_parsers.hpp"
#include "exporter/util/file_reader.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/result.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw ConfigError("web.config.file: " + key + ": " + why);
}

std::string scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) fail(key, "expected a plain value");
  return node.as<std::string>();
}

int tls_version(const std::string& key, const std::string& v) {
  if (v == "TLS10") return TLS1_VERSION;
  if (v == "TLS11") return TLS1_1_VERSION;
  if (v == "TLS12") return TLS1_2_VERSION;
  if (v == "TLS13") return TLS1_3_VERSION;
  fail(key, "invalid value \"" + v + "\": expected TLS10, TLS11, TLS12 or TLS13");
}

// A bcrypt hash that crypt(3) can verify at a cost the server can afford; returns its cost.
int bcrypt_cost(const std::string& key, const std::string& hash) {
  std::string why;
  const auto parsed = parse_bcrypt_hash(hash, &why);
  if (!parsed) fail(key, "not a bcrypt hash: " + why);
  if (parsed->cost > k_bcrypt_max_cost)
    fail(key, "bcrypt cost " + std::to_string(parsed->cost) + " is above " +
                  std::to_string(k_bcrypt_max_cost) +
                  ": each password check would take over 250 ms of CPU; hash it again with cost "
                  "10 to 12");
  return parsed->cost;
}

// The response headers http_server_config.headers may not name (compared without case), and
// why. The server writes these itself on every answer or on some, or they define how the
// message is framed or the connection is kept (RFC 9112 section 6 "Message Body Length" and
// section 9.6 "Tear-down", RFC 9110 section 7.6.1 "Connection": hop-by-hop fields): a second
// Content-Length or a Transfer-Encoding makes a client or proxy read the body differently from
// what we send (response splitting, desync); a second Content-Type, Content-Encoding or
// Cache-Control contradicts the one /metrics sends.
struct RefusedHeader {
  const char* name;
  const char* why;
};
constexpr RefusedHeader k_refused_headers[] = {
    {"Content-Length", "it frames the message"},
    {"Transfer-Encoding", "it frames the message"},
    {"Trailer", "it frames the message"},
    {"Connection", "it manages the connection"},
    {"Keep-Alive", "it manages the connection"},
    {"Proxy-Connection", "it manages the connection"},
    {"Upgrade", "it manages the connection"},
    {"TE", "it manages the connection"},
    {"Content-Type", "the server sets it on every answer"},
    {"Content-Encoding", "the server sets it (gzip) per answer"},
    {"Content-Range", "the server sends whole answers only"},
    {"Accept-Ranges", "the server sends whole answers only"},
    {"Vary", "the server sets it per answer"},
    {"Cache-Control", "the server sets it per answer"},
    {"Allow", "the server sets it per answer"},
    {"WWW-Authenticate", "the server sets it per answer"},
};

// RFC 9110 section 5.5: a field value holds no control character but HTAB (no CR, LF, NUL).
bool is_field_value(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// The name of one http_server_config.headers entry, checked before it names anything in an
// error.
void check_header_name(const std::string& name) {
  if (!is_http_token(name))
    fail("http_server_config.headers",
         "the name " + quoted_value(name) + " is not an HTTP field name (RFC 9110 token)");
}

// One http_server_config.headers entry (its name checked), as the server would send it.
void check_response_header(const std::string& name, const std::string& value) {
  const std::string field = "http_server_config.headers." + name;
  if (!is_field_value(value))
    fail(field, quoted_value(value) +
                    ": a header value must not hold CR, LF or another control character");
  for (const auto& refused : k_refused_headers)
    if (lower(name) == lower(refused.name))
      fail(field, quoted_value(value) + ": refused: " + refused.why +
                      "; only headers the server does not write itself can be added");
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
  return parse_web_config(read_config_file("web.config.file", path), path, base_dir);
}

WebConfig parse_web_config(const std::string& text, const std::string& name,
                           const std::string& base_dir) {
  const StrictYaml yaml = load_strict_yaml(text, "web.config.file", name);
  if (yaml.duplicate)
    fail(yaml.duplicate->path, "duplicate key (lines " +
                                   std::to_string(yaml.duplicate->first_line) + " and " +
                                   std::to_string(yaml.duplicate->second_line) + ")");
  const YAML::Node& root = yaml.root;
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
        if (t == "NoClientCert") tls.client_auth_type = "RequireAndVerifyClientCert";
      } else if (t == "VerifyClientCertIfGiven" || t == "RequireAndVerifyClientCert") {
        fail(key + ".client_ca_file", "must be set when client_auth_type is " + t);
      }
      config.tls = tls;  // its files: check_web_config
    } else if (key == "basic_auth_users") {
      if (!node.IsMap()) fail(key, "expected a mapping of user: bcrypt hash");
      std::vector<int> costs;
      for (const auto& e : node) {
        const std::string user = scalar(e.first, key + " (user name)");
        const std::string hash = scalar(e.second, key + "." + user);
        costs.push_back(bcrypt_cost(key + "." + user, hash));
        config.basic_auth_users[user] = hash;
      }
      // Unknown users are checked at the highest cost (BasicAuth): a user with a lower cost
      // answers faster than an unknown one, so login timing tells that it exists.
      if (!costs.empty()) {
        const auto [lo, hi] = std::minmax_element(costs.begin(), costs.end());
        if (*lo != *hi)
          log::warn(
              "basic_auth_users mix bcrypt costs: login timing can tell users below the highest "
              "cost from unknown users; hash every password at one cost",
              {{"lowest_cost", std::to_string(*lo)}, {"highest_cost", std::to_string(*hi)}});
      }
    } else if (key == "http_server_config") {
      if (!node.IsMap()) fail(key, "expected a mapping");
      for (const auto& e : node) {
        const std::string k = scalar(e.first, key + " (key)");
        if (k == "http2") continue;  // HTTP/1.1 only; accepted for compatibility
        if (k != "headers") fail(key + "." + k, "unknown key");
        if (!e.second.IsMap()) fail(key + ".headers", "expected a mapping");
        for (const auto& h : e.second) {
          const std::string name = scalar(h.first, key + ".headers (key)");
          check_header_name(name);
          const std::string value = scalar(h.second, key + ".headers." + name);
          check_response_header(name, value);
          for (const auto& [other, ignored] : config.headers)
            if (lower(other) == lower(name))
              fail(key + ".headers." + name,
                   "repeats " + other + ": header names are compared without case");
          config.headers[name] = value;
        }
      }
    } else {
      fail(key, "unknown key");
    }
  }
  check_web_config(config);
  return config;
}

void check_web_config(const WebConfig& web) {
  std::set<std::string> lower_names;
  for (const auto& [name, value] : web.headers) {
    check_header_name(name);
    check_response_header(name, value);
    if (!lower_names.insert(lower(name)).second)
      fail("http_server_config.headers." + name,
           "repeats another name: header names are compared without case");
  }
  if (!web.tls) return;
  verify_tls_files(*web.tls);
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> scratch(SSL_CTX_new(TLS_server_method()));
  if (!scratch) throw ConfigError("web.config.file: tls_server_config: no TLS context (OpenSSL)");
  std::string error;
  if (!configure_tls(*scratch, *web.tls, error))
    throw ConfigError("web.config.file: " + (error.empty() ? "TLS setup failed" : error));
}

}  // namespace kci
