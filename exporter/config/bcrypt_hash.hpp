#pragma once
// The bcrypt strings of basic_auth_users, parsed in full rather than shape-checked: a hash that
// the loader accepts must be one that crypt(3) can verify, at a cost the server can afford.
#include <optional>
#include <string>
#include <string_view>

namespace kci {

// bcrypt's cost is log2 of its rounds: each step doubles the work of every password check.
// The format allows 04..31; the loader refuses costs above 12, where one check takes over
// 250 ms of CPU (cost 31 would take days, so a few requests naming that user pin every worker).
inline constexpr int k_bcrypt_min_cost = 4;
inline constexpr int k_bcrypt_max_format_cost = 31;
inline constexpr int k_bcrypt_max_cost = 12;

struct BcryptHash {
  char minor = 'y';  // $2a$, $2b$ or $2y$ (all mean the same algorithm in libxcrypt)
  int cost = 10;
};

// Parses "$2<a|b|y>$<two-digit cost 04-31>$<22 salt chars><31 digest chars>" (60 characters,
// salt and digest in bcrypt's base64 alphabet ./A-Za-z0-9, whose last characters carry only
// the bits bcrypt uses: a salt or digest with other trailing bits could never match, since
// crypt(3) re-encodes them canonically). Returns nullopt for anything else, with the reason in
// `*why` when given ("expected 60 characters, got 59", "cost \"03\" is outside 04-31", ...).
// The cost limit k_bcrypt_max_cost is the caller's policy, not a format rule.
std::optional<BcryptHash> parse_bcrypt_hash(std::string_view text, std::string* why = nullptr);

}  // namespace kci
