#pragma once
// HTTP basic auth against the web config's bcrypt hashes.
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

namespace kci {

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
