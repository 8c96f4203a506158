// verify_tls_files: what the TLS server would refuse is refused at load time (exit 2).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "exporter/config/tls_material.hpp"
#include "exporter/util/result.hpp"
#include "test_support.hpp"

using namespace kci;

namespace {

const std::string k_tls = std::string(KCI_TESTS_DIR) + "/fixtures/tls";

std::string error_of(const TlsServerConfig& tls) {
  try {
    verify_tls_files(tls);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TlsServerConfig files(const std::string& cert, const std::string& key, const std::string& ca = "") {
  TlsServerConfig tls;
  tls.cert_file = cert.empty() ? "" : k_tls + "/" + cert;
  tls.key_file = key.empty() ? "" : k_tls + "/" + key;
  tls.client_ca_file = ca.empty() ? "" : k_tls + "/" + ca;
  return tls;
}

}  // namespace

TEST_CASE("tls material: the test certificates pass, alone, with a chain and with a client CA") {
  CHECK(error_of(files("server.crt", "server.key")).empty());
  CHECK(error_of(files("client.crt", "client.key", "ca.crt")).empty());
  // A chain file: the server certificate first, then its CA.
  const std::string chain = "/tmp/kci-chain-test.crt";
  {
    std::ofstream out(chain);
    out << kci::test::read_file(k_tls + "/server.crt") << kci::test::read_file(k_tls + "/ca.crt");
  }
  TlsServerConfig tls = files("", "server.key");
  tls.cert_file = chain;
  CHECK(error_of(tls).empty());
  // The CA first: its key is not server.key.
  {
    std::ofstream out(chain);
    out << kci::test::read_file(k_tls + "/ca.crt") << kci::test::read_file(k_tls + "/server.crt");
  }
  CHECK(error_of(tls) == "web.config.file: tls_server_config.key_file: \"" + k_tls +
                             "/server.key\" does not match the certificate in \"" + chain + "\"");
  std::remove(chain.c_str());
}

TEST_CASE("tls material: what OpenSSL would refuse later is refused now, naming the key") {
  const std::string p = "web.config.file: tls_server_config.";
  CHECK(error_of(files("", "server.key")) == p + "cert_file: must be set");
  CHECK(error_of(files("server.crt", "")) == p + "key_file: must be set");
  CHECK(error_of(files("README.md", "server.key")) ==
        p + "cert_file: \"" + k_tls + "/README.md\" holds no PEM certificate");
  CHECK(error_of(files("corrupt.crt", "server.key")) ==
        p + "cert_file: \"" + k_tls + "/corrupt.crt\" holds a PEM certificate that does not parse");
  CHECK(error_of(files("server.crt", "client.key")) ==
        p + "key_file: \"" + k_tls + "/client.key\" does not match the certificate in \"" + k_tls +
            "/server.crt\"");
  CHECK(error_of(files("server.crt", "server.encrypted.key")) ==
        p + "key_file: \"" + k_tls +
            "/server.encrypted.key\" holds no unencrypted PEM private key");
  CHECK(error_of(files("server.crt", "server.key", "server.key")) ==
        p + "client_ca_file: \"" + k_tls + "/server.key\" holds no PEM certificate");
  TlsServerConfig dev = files("server.crt", "server.key");
  dev.key_file = "/dev/zero";
  CHECK(error_of(dev) == p + "key_file: \"/dev/zero\" is not a regular file");
}
