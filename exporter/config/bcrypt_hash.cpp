#include "exporter/config/bcrypt_hash.hpp"

namespace kci {
namespace {

constexpr std::string_view k_alphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::optional<BcryptHash> refuse(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return std::nullopt;
}

// Checks `text` is in bcrypt's alphabet and that its last character leaves unused the low
// `unused_bits` bits (22 salt characters carry 132 bits for a 128-bit salt; 31 digest
// characters 186 bits for a 184-bit digest).
bool canonical(std::string_view text, int unused_bits, std::string* why, const char* what) {
  for (char c : text)
    if (k_alphabet.find(c) == std::string_view::npos) {
      refuse(why, std::string(what) + " has a character outside ./A-Za-z0-9");
      return false;
    }
  const auto last = k_alphabet.find(text.back());
  if (last % (1U << unused_bits) != 0) {
    std::string allowed;
    for (std::size_t i = 0; i < k_alphabet.size(); i += 1U << unused_bits) allowed += k_alphabet[i];
    refuse(why, std::string(what) + " ends in '" + text.back() + "', expected one of " + allowed);
    return false;
  }
  return true;
}

}  // namespace

std::optional<BcryptHash> parse_bcrypt_hash(std::string_view h, std::string* why) {
  if (h.size() < 7 || h[0] != '$' || h[1] != '2' || h[3] != '$' || h[6] != '$')
    return refuse(why, "expected $2y$, a two-digit cost, $ and 53 characters of salt and digest");
  BcryptHash out;
  out.minor = h[2];
  if (out.minor != 'a' && out.minor != 'b' && out.minor != 'y')
    return refuse(why, "version \"$2" + std::string(1, h[2]) + "$\" is not $2a$, $2b$ or $2y$");
  const std::string cost(h.substr(4, 2));
  if (cost[0] < '0' || cost[0] > '9' || cost[1] < '0' || cost[1] > '9')
    return refuse(why, "cost \"" + cost + "\" is not two digits");
  out.cost = (cost[0] - '0') * 10 + (cost[1] - '0');
  if (out.cost < k_bcrypt_min_cost || out.cost > k_bcrypt_max_format_cost)
    return refuse(why, "cost \"" + cost + "\" is outside 04-31");
  if (h.size() != 60) return refuse(why, "expected 60 characters, got " + std::to_string(h.size()));
  if (!canonical(h.substr(7, 22), 4, why, "salt")) return std::nullopt;
  if (!canonical(h.substr(29, 31), 2, why, "digest")) return std::nullopt;
  return out;
}

}  // namespace kci
