// parse_bcrypt_hash: the whole string, as crypt(3) would verify it.
#include <catch2/catch.hpp>

#include "exporter/config/bcrypt_hash.hpp"

using namespace kci;

namespace {

// Made by libxcrypt (crypt_gensalt_rn + crypt_r) for the password "scrape-pass".
const std::string k_2y_10 = "$2y$10$zCO5R1DgN0Q4C0QNGlKn0egrfqSW76rz5LdeZxSrA84LkuwoqHb72";
const std::string k_2b_04 = "$2b$04$eZzGWnU1KvPN4ILvhb.r5eLh7zOo4IMsA9TNMcwVGYOxoPu/e3ULG";
const std::string k_2a_04 = "$2a$04$0tmN3c3IuEshtdQAW7Pf6.ygtvnQtFHZeFutZvAc9Q/.sz/5CFCIy";
const std::string k_2y_12 = "$2y$12$gragvGoXlNtFQODHuevV4OOzry6CHFTXj5OapDgnq2n3d0etaoc.6";

std::string why(const std::string& hash) {
  std::string reason;
  CHECK_FALSE(parse_bcrypt_hash(hash, &reason));
  return reason;
}

std::string with(std::string hash, std::size_t at, const std::string& part) {
  return hash.replace(at, part.size(), part);
}

}  // namespace

TEST_CASE("bcrypt hash: real hashes parse with their version and cost") {
  auto y = parse_bcrypt_hash(k_2y_10);
  REQUIRE(y);
  CHECK(y->minor == 'y');
  CHECK(y->cost == 10);
  CHECK(parse_bcrypt_hash(k_2b_04)->minor == 'b');
  CHECK(parse_bcrypt_hash(k_2b_04)->cost == 4);
  CHECK(parse_bcrypt_hash(k_2a_04)->minor == 'a');
  CHECK(parse_bcrypt_hash(k_2y_12)->cost == 12);
  CHECK(parse_bcrypt_hash(with(k_2y_10, 4, "31"))->cost == 31);  // a format rule, not a policy
}

TEST_CASE("bcrypt hash: malformed hashes are refused with the reason") {
  CHECK(why("scrape-pass") ==
        "expected $2y$, a two-digit cost, $ and 53 characters of salt and digest");
  CHECK(why("") == "expected $2y$, a two-digit cost, $ and 53 characters of salt and digest");
  CHECK(why("$1$abc$") ==
        "expected $2y$, a two-digit cost, $ and 53 characters of salt and digest");
  CHECK(why(with(k_2y_10, 2, "x")) == "version \"$2x$\" is not $2a$, $2b$ or $2y$");
  CHECK(why(with(k_2y_10, 4, "03")) == "cost \"03\" is outside 04-31");
  CHECK(why(with(k_2y_10, 4, "32")) == "cost \"32\" is outside 04-31");
  CHECK(why(with(k_2y_10, 4, "1a")) == "cost \"1a\" is not two digits");
  CHECK(why(k_2y_10.substr(0, 59)) == "expected 60 characters, got 59");
  CHECK(why(k_2y_10 + ".") == "expected 60 characters, got 61");
  CHECK(why(with(k_2y_10, 10, "+")) == "salt has a character outside ./A-Za-z0-9");
  CHECK(why(with(k_2y_10, 40, "=")) == "digest has a character outside ./A-Za-z0-9");
}

TEST_CASE("bcrypt hash: unused trailing bits must be zero, or no password could match") {
  // The salt's last character (index 28) carries 2 of its 6 bits: only . O e u.
  for (char c : std::string(".Oeu")) CHECK(parse_bcrypt_hash(with(k_2y_10, 28, std::string(1, c))));
  CHECK(why(with(k_2y_10, 28, "f")) == "salt ends in 'f', expected one of .Oeu");
  CHECK(why(with(k_2y_10, 28, "/")) == "salt ends in '/', expected one of .Oeu");
  // The digest's last character (index 59) carries 4 of its 6 bits.
  CHECK(parse_bcrypt_hash(with(k_2y_10, 59, "6")));
  CHECK(why(with(k_2y_10, 59, "3")) == "digest ends in '3', expected one of .CGKOSWaeimquy26");
}
