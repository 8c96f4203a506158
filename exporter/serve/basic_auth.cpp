#include "exporter/serve/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <memory>

#include "exporter/config/bcrypt_hash.hpp"

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

}  // namespace

int unknown_user_cost(const std::map<std::string, std::string>& users) {
  int cost = 0;
  for (const auto& [user, hash] : users)
    if (auto parsed = parse_bcrypt_hash(hash)) cost = std::max(cost, parsed->cost);
  return cost > 0 ? cost : 10;
}

std::string make_dummy_bcrypt_hash(int cost) {
  cost = std::clamp(cost, k_bcrypt_min_cost, k_bcrypt_max_format_cost);
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    // No entropy: any salt will do, the dummy only has to cost the same as a real check.
    std::fill(std::begin(random), std::end(random), 0x5a);
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost),
                       reinterpret_cast<const char*>(random), sizeof random, setting,
                       sizeof setting) == nullptr) {
    // crypt_gensalt refuses only an out-of-range cost, clamped above; keep a usable fallback.
    std::snprintf(setting, sizeof setting, "$2y$%02d$......................", cost);
  }
  // The password does not matter: check() never accepts an unknown user, whatever matches.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r("unknown user", setting, data.get());
  if (out == nullptr || out[0] == '*') return setting;  // still costs `cost` to check against
  return out;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users)
    : m_users(std::move(users)),
      m_unknown_user_hash(enabled() ? make_dummy_bcrypt_hash(unknown_user_cost(m_users)) : "") {}

namespace {

// user and password of an `Authorization: Basic` header; false when it is not one.
bool split_basic(const std::string& header, std::string& user, std::string& password) {
  if (!header.starts_with("Basic ")) return false;
  const std::string decoded = base64_decode(header.substr(6));
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  return true;
}

}  // namespace

bool BasicAuth::check_cached(const std::string& header) {
  std::string user, password;
  if (!split_basic(header, user, password)) return false;
  auto it = m_users.find(user);
  if (it == m_users.end()) return false;
  const std::string key = sha256(user + ":" + password + ":" + it->second);
  std::lock_guard lock(m_mutex);
  return m_cache.count(key) > 0;
}

bool BasicAuth::check(const std::string& header) {
  if (check_cached(header)) return true;
  std::string user, password;
  if (!split_basic(header, user, password)) return false;
  auto it = m_users.find(user);
  const std::string& hash = it != m_users.end() ? it->second : m_unknown_user_hash;
  const bool ok = bcrypt_matches(password, hash) && it != m_users.end();
  if (ok) {
    const std::string key = sha256(user + ":" + password + ":" + hash);
    std::lock_guard lock(m_mutex);
    if (m_cache.size() > 1024) m_cache.clear();
    m_cache.insert(key);
  }
  return ok;
}

}  // namespace kci
