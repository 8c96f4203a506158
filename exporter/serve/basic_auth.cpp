#include "exporter/serve/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

// HMAC-SHA-256 of user, password and hash, each length-prefixed (so no two triples share a
// message), under `key`.
std::string credential_digest(const std::string& key, const std::string& user,
                              const std::string& password, const std::string& hash) {
  std::string message;
  for (const std::string* part : {&user, &password, &hash})
    message += std::to_string(part->size()) + ":" + *part;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), md,
           &len) == nullptr)
    return {};
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string random_key() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    // No entropy: the digests are still never a password; they are only guessable offline by
    // someone who can read this process's memory, who could read the password anyway.
    key.assign(32, '\x5a');
  }
  return key;
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

BasicAuth::BasicAuth(std::map<std::string, std::string> users, BasicAuthCacheLimits limits)
    : m_users(std::move(users)),
      m_unknown_user_hash(enabled() ? make_dummy_bcrypt_hash(unknown_user_cost(m_users)) : ""),
      m_digest_key(random_key()),
      m_good(limits.good_entries, limits.ttl),
      m_bad(limits.bad_entries, limits.ttl) {}

struct BasicAuth::Credentials {
  std::string user;
  std::string password;
  const std::string* hash = nullptr;  // the user's, or the dummy for an unknown user
  bool known = false;
  std::string key;  // credential_digest
};

// The header's credentials; false when it is not `Basic base64(user:password)`.
bool BasicAuth::parse(const std::string& header, Credentials& out) const {
  if (!header.starts_with("Basic ")) return false;
  const std::string decoded = base64_decode(header.substr(6));
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  out.user = decoded.substr(0, colon);
  out.password = decoded.substr(colon + 1);
  auto it = m_users.find(out.user);
  out.known = it != m_users.end();
  out.hash = out.known ? &it->second : &m_unknown_user_hash;
  out.key = credential_digest(m_digest_key, out.user, out.password, *out.hash);
  return !out.key.empty();
}

std::string BasicAuth::credential_key(const std::string& header) const {
  Credentials c;
  return parse(header, c) ? c.key : std::string();
}

CachedAuth BasicAuth::check_cached(const std::string& header) {
  Credentials c;
  if (!parse(header, c)) return CachedAuth::bad;
  const auto now = CredentialCache::Clock::now();
  std::lock_guard lock(m_mutex);
  if (m_good.contains(c.key, now)) return CachedAuth::good;
  if (m_bad.contains(c.key, now)) return CachedAuth::bad;
  return CachedAuth::unknown;
}

bool BasicAuth::check(const std::string& header) {
  Credentials c;
  if (!parse(header, c)) return false;
  {
    const auto now = CredentialCache::Clock::now();
    std::lock_guard lock(m_mutex);
    if (m_good.contains(c.key, now)) return true;
    if (m_bad.contains(c.key, now)) return false;
  }
  ++m_bcrypt_runs;
  const bool ok = bcrypt_matches(c.password, *c.hash) && c.known;
  const auto now = CredentialCache::Clock::now();
  std::lock_guard lock(m_mutex);
  (ok ? m_good : m_bad).insert(c.key, now);
  return ok;
}

}  // namespace kci
