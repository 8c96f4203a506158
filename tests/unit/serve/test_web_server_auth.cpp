// A web server that enforces the web config: TLS, client certificates and basic auth.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <memory>
#include <thread>

#include "exporter/config/web_config.hpp"
#include "exporter/serve/basic_auth.hpp"
#include "exporter/serve/metrics_publisher.hpp"
#include "exporter/serve/web_server.hpp"

using namespace kci;

namespace {
const std::string k_dir = std::string(KCI_TESTS_DIR) + "/fixtures/web_config";
const std::string k_tls = std::string(KCI_TESTS_DIR) + "/fixtures/tls";

struct Served {
  MetricsPublisher publisher;
  std::unique_ptr<WebServer> server;
  std::thread thread;
  explicit Served(const std::string& web_config_file) {
    server = std::make_unique<WebServer>("127.0.0.1:0", LandingPageOptions{}, publisher,
                                         load_web_config(web_config_file));
    REQUIRE(server->bind());
    thread = std::thread([this] { server->serve(); });
  }
  ~Served() {
    server->stop();
    thread.join();
  }
};

std::string basic(const std::string& user, const std::string& pass) {
  httplib::Headers h = {httplib::make_basic_authentication_header(user, pass)};
  return h.begin()->second;
}
}  // namespace

TEST_CASE("web config: basic auth accepts the right password only", "[threads]") {
  BasicAuth auth(load_web_config(k_dir + "/basic_auth.good.yaml").basic_auth_users);
  CHECK(auth.check(basic("prometheus", "scrape-pass")));
  CHECK(auth.check(basic("prometheus", "scrape-pass")));  // cached path
  CHECK_FALSE(auth.check(basic("prometheus", "wrong")));
  CHECK_FALSE(auth.check(basic("nobody", "scrape-pass")));
  CHECK_FALSE(auth.check("Bearer xyz"));
  CHECK_FALSE(auth.check("Basic !!!"));
}

TEST_CASE("web server: TLS + basic auth; probes stay open; 401 for wrong credentials",
          "[threads]") {
  Served s(k_dir + "/basic_auth.good.yaml");
  httplib::Client plain("127.0.0.1", s.server->port());
  CHECK(plain.Get("/metrics")->status == 401);
  CHECK(plain.Get("/healthz")->status == 200);
  plain.set_basic_auth("prometheus", "nope");
  CHECK(plain.Get("/metrics")->status == 401);
  plain.set_basic_auth("prometheus", "scrape-pass");
  CHECK(plain.Get("/metrics")->status == 200);
}

TEST_CASE("web server: TLS with a client certificate required", "[threads]") {
  Served s(k_dir + "/mtls_and_auth.good.yaml");
  httplib::SSLClient no_cert("127.0.0.1", s.server->port());
  no_cert.set_ca_cert_path((k_tls + "/ca.crt").c_str());
  CHECK_FALSE(no_cert.Get("/healthz"));  // handshake refused without a client certificate
  httplib::SSLClient with_cert("127.0.0.1", s.server->port(), k_tls + "/client.crt",
                               k_tls + "/client.key");
  with_cert.set_ca_cert_path((k_tls + "/ca.crt").c_str());
  with_cert.enable_server_certificate_verification(true);
  auto r = with_cert.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("X-Frame-Options") == "deny");
  with_cert.set_basic_auth("prometheus", "scrape-pass");
  CHECK(with_cert.Get("/metrics")->status == 200);
}

TEST_CASE("web server: plain HTTP client against TLS gets nothing", "[threads]") {
  Served s(k_dir + "/tls.good.yaml");
  httplib::Client plain("127.0.0.1", s.server->port());
  auto r = plain.Get("/metrics");
  CHECK((!r || r->status != 200));
  httplib::SSLClient tls("127.0.0.1", s.server->port());
  tls.set_ca_cert_path((k_tls + "/ca.crt").c_str());
  tls.enable_server_certificate_verification(true);
  REQUIRE(tls.Get("/metrics"));
  CHECK(tls.Get("/metrics")->status == 200);
}

TEST_CASE(
    "web server: a web config built in code gets check_web_config's verdict (issue 21 item C)") {
  auto verdict = [](auto&& f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  WebConfig framing;
  framing.headers.emplace("Content-Length",
                          "0");  // not operator[]=: GCC 12 -O2 -Wrestrict false positive
  WebConfig weak;
  weak.tls = TlsServerConfig{};
  weak.tls->cert_file = k_tls + "/weak.crt";
  weak.tls->key_file = k_tls + "/weak.key";
  for (const WebConfig* web : {&framing, &weak}) {
    const std::string checked = verdict([&] { check_web_config(*web); });
    CHECK_FALSE(checked.empty());
    MetricsPublisher publisher;
    CHECK(verdict([&] { WebServer("127.0.0.1:0", LandingPageOptions{}, publisher, *web); }) ==
          checked);
    WebServer server("127.0.0.1:0", LandingPageOptions{}, publisher, WebConfig{});
    CHECK(verdict([&] { server.reload(*web); }) == checked);
  }
  CHECK(verdict([&] { check_web_config(weak); }) ==
        "web.config.file: tls_server_config.cert_file: \"" + k_tls +
            "/weak.crt\" is refused by the TLS server: ee key too small");
}
