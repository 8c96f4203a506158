#include "exporter/web_config.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <vector>

#include "exporter/result.hpp"

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

std::string base64_decode(const std::string& in) {
  std::string out(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  std::size_t pad = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++pad;
  out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(pad, n));
  return out;
}

std::string sha256(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (out == nullptr || out[0] == '*') return false;
  std::string computed(out);
  return computed.size() == hash.size() &&
         CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

// bcrypt("not a password", cost 10): what unknown users are checked against.
constexpr const char* k_fake_hash = "$2y$10$JLO0yHIRggyU7hgnzVVnzelfDeNkeTyscG4ukMEWpFcXxEmG3Nije";

// Relative paths are relative to the web config file, as in exporter-toolkit.
std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/' || base_dir.empty()) return p;
  return base_dir + "/" + p;
}

}  // namespace

WebConfig load_web_config(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string base_dir = slash == std::string::npos ? "" : path.substr(0, slash);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError("web.config.file: cannot read \"" + path + "\"");
  } catch (const YAML::Exception& e) {
    throw ConfigError("web.config.file: \"" + path + "\" is not valid YAML: " + e.msg +
                      " at line " + std::to_string(e.mark.line + 1));
  }
  WebConfig config;
  if (root.IsNull()) return config;
  if (!root.IsMap()) fail("(root)", "expected a mapping");
  for (const auto& top : root) {
    const std::string key = top.first.as<std::string>();
    const YAML::Node& node = top.second;
    if (key == "tls_server_config") {
      if (!node.IsMap()) fail(key, "expected a mapping");
      TlsServerConfig tls;
      for (const auto& e : node) {
        const std::string k = e.first.as<std::string>();
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
        const std::string user = e.first.as<std::string>();
        const std::string hash = scalar(e.second, key + "." + user);
        if (!is_bcrypt(hash)) fail(key + "." + user, "not a bcrypt hash (expected $2y$...)");
        config.basic_auth_users[user] = hash;
      }
    } else if (key == "http_server_config") {
      if (!node.IsMap()) fail(key, "expected a mapping");
      for (const auto& e : node) {
        const std::string k = e.first.as<std::string>();
        if (k == "http2") continue;  // HTTP/1.1 only; accepted for compatibility
        if (k != "headers") fail(key + "." + k, "unknown key");
        if (!e.second.IsMap()) fail(key + ".headers", "expected a mapping");
        for (const auto& h : e.second)
          config.headers[h.first.as<std::string>()] = scalar(h.second, key + ".headers");
      }
    } else {
      fail(key, "unknown key");
    }
  }
  return config;
}

bool configure_tls(SSL_CTX& ctx, const TlsServerConfig& tls, std::string& error) {
  if (SSL_CTX_use_certificate_chain_file(&ctx, tls.cert_file.c_str()) != 1) {
    error = "tls_server_config.cert_file: cannot load \"" + tls.cert_file + "\"";
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(&ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&ctx) != 1) {
    error = "tls_server_config.key_file: cannot load \"" + tls.key_file +
            "\" or it does not match the certificate";
    return false;
  }
  SSL_CTX_set_min_proto_version(&ctx, tls_version("min_version", tls.min_version));
  if (!tls.max_version.empty())
    SSL_CTX_set_max_proto_version(&ctx, tls_version("max_version", tls.max_version));
  int mode = SSL_VERIFY_NONE;
  const auto& t = tls.client_auth_type;
  if (t == "RequestClientCert" || t == "VerifyClientCertIfGiven") mode = SSL_VERIFY_PEER;
  if (t == "RequireAnyClientCert" || t == "RequireAndVerifyClientCert")
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      error = "tls_server_config.client_ca_file: cannot load \"" + tls.client_ca_file + "\"";
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

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : m_users(std::move(users)) {}

bool BasicAuth::check(const std::string& header) {
  if (!header.starts_with("Basic ")) return false;
  std::string decoded = base64_decode(header.substr(6));
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  std::string user = decoded.substr(0, colon), password = decoded.substr(colon + 1);
  auto it = m_users.find(user);
  const std::string& hash = it != m_users.end() ? it->second : std::string(k_fake_hash);
  std::string key = sha256(user + ":" + password + ":" + hash);
  {
    std::lock_guard lock(m_mutex);
    if (it != m_users.end() && m_cache.count(key)) return true;
  }
  bool ok = bcrypt_matches(password, hash) && it != m_users.end();
  if (ok) {
    std::lock_guard lock(m_mutex);
    if (m_cache.size() > 1024) m_cache.clear();
    m_cache.insert(key);
  }
  return ok;
}

}  // namespace kci
