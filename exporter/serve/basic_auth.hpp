#pragma once
// HTTP basic auth against the web config's bcrypt hashes.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "exporter/serve/credential_cache.hpp"

namespace kci {

// How many verified credentials BasicAuth remembers, and for how long (credential_cache.hpp).
struct BasicAuthCacheLimits {
  std::size_t good_entries = 1024;  // credentials bcrypt accepted
  std::size_t bad_entries = 4096;   // credentials bcrypt refused
  std::chrono::steady_clock::duration ttl = std::chrono::minutes(15);
};

// What the caches alone (no bcrypt) say about an Authorization header.
enum class CachedAuth { unknown, good, bad };

// Verifies `Authorization: Basic ...` against bcrypt hashes (as load_web_config accepts them).
// Unknown users are checked against a dummy hash made at construction with the highest cost
// among the configured users, so an unknown user costs as much CPU, and answers as late, as a
// known one: when every user has the same cost (one htpasswd run), timing does not tell whether
// a user exists. (With mixed costs, users below the highest answer faster; load_web_config
// warns.)
//
// Every bcrypt answer is remembered, good and bad, as an HMAC-SHA-256 digest of user, password
// and hash under a key drawn at construction (so neither a password nor an unkeyed hash of one
// is kept, and a digest is useless outside this process): a returning scraper, and a repeated
// wrong password, cost no bcrypt. Both caches are bounded and expire (BasicAuthCacheLimits);
// a reload builds a new BasicAuth, so a changed hash never meets an old answer. bcrypt's output
// is compared in constant time (CRYPTO_memcmp); cache lookups compare keyed digests, which a
// client cannot predict. Thread-safe.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users, BasicAuthCacheLimits limits = {});
  bool enabled() const { return !m_users.empty(); }
  // The caches, or a header that is not `Basic base64(user:password)` (bad): no bcrypt, cheap
  // enough for the event loop.
  CachedAuth check_cached(const std::string& authorization_header);
  // check_cached(), else bcrypt (milliseconds of CPU: never on the event loop); the answer is
  // remembered.
  bool check(const std::string& authorization_header);
  // The keyed digest of the header's credentials (empty for a header that is not Basic): equal
  // credentials give equal keys, so identical checks can be run once (auth_queue.hpp).
  std::string credential_key(const std::string& authorization_header) const;
  // bcrypt runs so far (tests and figures).
  std::size_t bcrypt_runs() const { return m_bcrypt_runs.load(); }

  // The hash unknown users are checked against (its cost is unknown_user_cost(users)).
  const std::string& unknown_user_hash() const { return m_unknown_user_hash; }

 private:
  struct Credentials;
  bool parse(const std::string& header, Credentials& out) const;

  std::map<std::string, std::string> m_users;
  std::string m_unknown_user_hash;
  std::string m_digest_key;  // 32 random bytes: the HMAC key of the cache digests
  std::mutex m_mutex;        // guards the caches
  CredentialCache m_good;
  CredentialCache m_bad;
  std::atomic<std::size_t> m_bcrypt_runs{0};
};

// The cost unknown users are checked at: the highest cost among `users`' hashes, or 10 (the
// htpasswd and exporter-toolkit default) when none parses.
int unknown_user_cost(const std::map<std::string, std::string>& users);

// A fresh $2y$ bcrypt hash at `cost` (clamped to 4..31) with a random salt: checking a password
// against it costs what checking against a configured hash of that cost does.
std::string make_dummy_bcrypt_hash(int cost);

}  // namespace kci
