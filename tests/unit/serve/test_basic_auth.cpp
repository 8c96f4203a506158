// BasicAuth: unknown users are checked against a dummy hash of the configured cost.
#include <httplib.h>
#include <catch2/catch.hpp>

#include "exporter/config/bcrypt_hash.hpp"
#include "exporter/config/web_config.hpp"
#include "exporter/serve/basic_auth.hpp"

using namespace kci;

namespace {

const std::string k_dir = std::string(KCI_TESTS_DIR) + "/fixtures/web_config";
// Password "scrape-pass" (libxcrypt).
const std::string k_2b_04 = "$2b$04$eZzGWnU1KvPN4ILvhb.r5eLh7zOo4IMsA9TNMcwVGYOxoPu/e3ULG";
const std::string k_2a_04 = "$2a$04$0tmN3c3IuEshtdQAW7Pf6.ygtvnQtFHZeFutZvAc9Q/.sz/5CFCIy";
const std::string k_2y_10 = "$2y$10$zCO5R1DgN0Q4C0QNGlKn0egrfqSW76rz5LdeZxSrA84LkuwoqHb72";
const std::string k_2y_12 = "$2y$12$gragvGoXlNtFQODHuevV4OOzry6CHFTXj5OapDgnq2n3d0etaoc.6";

std::string basic(const std::string& user, const std::string& pass) {
  httplib::Headers h = {httplib::make_basic_authentication_header(user, pass)};
  return h.begin()->second;
}

int cost_of(const std::string& hash) {
  auto parsed = parse_bcrypt_hash(hash);
  REQUIRE(parsed);
  return parsed->cost;
}

}  // namespace

TEST_CASE("basic auth: the unknown-user cost is the highest configured cost") {
  CHECK(unknown_user_cost({{"a", k_2b_04}}) == 4);
  CHECK(unknown_user_cost({{"a", k_2y_10}}) == 10);
  CHECK(unknown_user_cost({{"a", k_2b_04}, {"b", k_2y_12}, {"c", k_2y_10}}) == 12);
  CHECK(unknown_user_cost({}) == 10);
  CHECK(unknown_user_cost({{"a", "not a hash"}}) == 10);
}

TEST_CASE("basic auth: the dummy hash is a real bcrypt hash of the requested cost") {
  for (int cost : {4, 5, 10}) {
    const std::string h = make_dummy_bcrypt_hash(cost);
    INFO(h);
    CHECK(h.starts_with("$2y$"));
    CHECK(cost_of(h) == cost);
  }
  CHECK(make_dummy_bcrypt_hash(4) != make_dummy_bcrypt_hash(4));  // a fresh salt each time
}

TEST_CASE("basic auth: unknown users are checked against a hash of the configured cost") {
  BasicAuth cheap({{"prometheus", k_2b_04}});
  CHECK(cost_of(cheap.unknown_user_hash()) == 4);
  BasicAuth dear({{"prometheus", k_2y_12}});
  CHECK(cost_of(dear.unknown_user_hash()) == 12);
  BasicAuth mixed({{"a", k_2b_04}, {"b", k_2y_10}});
  CHECK(cost_of(mixed.unknown_user_hash()) == 10);
  CHECK(BasicAuth({}).unknown_user_hash().empty());  // disabled: nothing to hash
  CHECK_FALSE(BasicAuth({}).enabled());
}

TEST_CASE("basic auth: $2a$, $2b$ and $2y$ users log in; unknown users never do") {
  BasicAuth auth(load_web_config(k_dir + "/bcrypt_versions.good.yaml").basic_auth_users);
  CHECK(cost_of(auth.unknown_user_hash()) == 12);
  CHECK(auth.check(basic("a", "scrape-pass")));
  CHECK(auth.check(basic("b", "scrape-pass")));
  CHECK_FALSE(auth.check(basic("a", "scrape-pas")));
  CHECK_FALSE(auth.check(basic("nobody", "scrape-pass")));
  CHECK_FALSE(auth.check(basic("nobody", "unknown user")));  // the dummy's own password
  CHECK_FALSE(auth.check(basic("", "")));
}
