#pragma once
// HTTP basic auth against the web config's bcrypt hashes.
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

namespace kci {

// Verifies `Authorization: Basic ...` against bcrypt hashes (as load_web_config accepts them).
// Unknown users are checked against a dummy hash made at construction with the highest cost
// among the configured users, so an unknown user costs as much CPU, and answers as late, as a
// known one: when every user has the same cost (one htpasswd run), timing does not tell whether
// a user exists. (With mixed costs, users below the highest answer faster; load_web_config
// warns.) Successes are cached (as SHA-256 digests of user:password:hash) so a scrape does not
// pay for bcrypt every time. Thread-safe.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);
  bool enabled() const { return !m_users.empty(); }
  bool check(const std::string& authorization_header);
  // Only the cache of earlier successes (a SHA-256, no bcrypt): cheap enough for the event loop,
  // so credentials that already passed are never queued behind a flood of wrong ones.
  bool check_cached(const std::string& authorization_header);

  // The hash unknown users are checked against (its cost is unknown_user_cost(users)).
  const std::string& unknown_user_hash() const { return m_unknown_user_hash; }

 private:
  std::map<std::string, std::string> m_users;
  std::string m_unknown_user_hash;
  std::mutex m_mutex;
  std::unordered_set<std::string> m_cache;
};

// The cost unknown users are checked at: the highest cost among `users`' hashes, or 10 (the
// htpasswd and exporter-toolkit default) when none parses.
int unknown_user_cost(const std::map<std::string, std::string>& users);

// A fresh $2y$ bcrypt hash at `cost` (clamped to 4..31) with a random salt: checking a password
// against it costs what checking against a configured hash of that cost does.
std::string make_dummy_bcrypt_hash(int cost);

}  // namespace kci
