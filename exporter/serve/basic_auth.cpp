#include "exporter/serve/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace kci {
namespace {

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

}  // namespace

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
