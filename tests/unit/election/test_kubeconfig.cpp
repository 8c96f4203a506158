#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>

#include "exporter/election/kube_api_client.hpp"

using namespace kci;

namespace {

// A kubeconfig as `kubectl config view --raw` writes one for a service account.
std::string config_with(const std::string& cluster, const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: sa\n"
         "contexts:\n- name: sa\n  context: {cluster: c, user: u, namespace: kubecost}\n"
         "clusters:\n- name: c\n  cluster:\n" +
         cluster + "users:\n- name: u\n  user:\n" + user;
}

std::string error_of(const std::string& text) {
  try {
    parse_kubeconfig("/tmp/kc.yaml", text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  FAIL("no error");
  return {};
}

// A scratch directory with the given files, removed at the end.
struct Scratch {
  std::string dir;
  explicit Scratch(const std::map<std::string, std::string>& files) {
    char tmpl[] = "/tmp/kci-kubeconfig-XXXXXX";
    dir = ::mkdtemp(tmpl);
    for (const auto& [name, text] : files) std::ofstream(dir + "/" + name) << text;
    names = files;
  }
  ~Scratch() {
    for (const auto& [name, text] : names) std::remove((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
  }
  std::map<std::string, std::string> names;
};

}  // namespace

TEST_CASE("kubeconfig: the current context's server, token and namespace", "[threads]") {
  auto c = parse_kubeconfig(
      "/tmp/kc.yaml", config_with("    server: http://127.0.0.1:6443/\n", "    token: abc\n"));
  CHECK(c.endpoint.url == "http://127.0.0.1:6443");
  CHECK(c.endpoint.bearer_token == "abc");
  CHECK(c.namespace_name == "kubecost");
  CHECK(c.source == "kubeconfig /tmp/kc.yaml");
}

TEST_CASE("kubeconfig: certificate-authority-data and relative tokenFile", "[threads]") {
  Scratch s(std::map<std::string, std::string>{{"token", "t0k\n"}});
  // base64 of "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
  const std::string b64 =
      "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCngKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
  auto c = parse_kubeconfig(s.dir + "/config", config_with("    server: https://k8s:443\n"
                                                           "    certificate-authority-data: " +
                                                               b64 + "\n",
                                                           "    tokenFile: token\n"));
  CHECK(c.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(c.endpoint.bearer_token_file == s.dir + "/token");
  KubeApiClient client(c);
  const std::string ca = client.connection().endpoint.ca_file;
  CHECK(::access(ca.c_str(), R_OK) == 0);
}

TEST_CASE("kubeconfig: bad fields are named", "[threads]") {
  CHECK(error_of("- a\n") == "kubeconfig \"/tmp/kc.yaml\": not a YAML mapping");
  CHECK(error_of("apiVersion: v1\n") ==
        "kubeconfig \"/tmp/kc.yaml\": current-context: missing or empty");
  CHECK(error_of("current-context: x\ncontexts: []\n") ==
        "kubeconfig \"/tmp/kc.yaml\": contexts[name=x]: not found");
  CHECK(error_of(config_with("    server: ftp://x\n", "    token: a\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": clusters[name=c].cluster.server: invalid value "
        "\"ftp://x\": expected an http:// or https:// URL");
  CHECK(error_of(config_with("    insecure: 1\n", "    token: a\n"))
            .find("clusters[name=c].cluster.server: invalid value \"\"") != std::string::npos);
  CHECK(error_of(config_with("    server: https://x\n    certificate-authority-data: '%%%'\n",
                             "    token: a\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": clusters[name=c].cluster.certificate-authority-data: not "
        "base64 of a PEM certificate");
  CHECK(error_of(config_with("    server: https://x\n    certificate-authority: /nonexistent\n",
                             "    token: a\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": clusters[name=c].cluster.certificate-authority: cannot "
        "read \"/nonexistent\"");
  CHECK(error_of(config_with("    server: https://x\n    insecure-skip-tls-verify: maybe\n",
                             "    token: a\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": clusters[name=c].cluster.insecure-skip-tls-verify: invalid "
        "value \"maybe\": expected true or false");
  CHECK(error_of(config_with("    server: https://x\n", "    tokenFile: /nonexistent\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": users[name=u].user.tokenFile: cannot read \"/nonexistent\"");
  CHECK(error_of(config_with("    server: https://x\n", "    client-key-data: abc\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": users[name=u].user.client-key-data: not supported (use "
        "token or tokenFile, as a service account does)");
  CHECK(error_of(config_with("    server: https://x\n", "    token: a\n    tokenFile: b\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": users[name=u].user: token and tokenFile are both set");
  CHECK(error_of(config_with("    server: https://x\n", "    token: [a]\n")) ==
        "kubeconfig \"/tmp/kc.yaml\": users[name=u].user.token: expected a plain value");
}

TEST_CASE("kubeconfig: in-cluster needs the service variables and the token", "[threads]") {
  Scratch s({{"token", "t"}, {"ca.crt", "pem"}, {"namespace", "kubecost\n"}});
  std::map<std::string, std::string> vars{{"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                                          {"KUBERNETES_SERVICE_PORT", "443"}};
  EnvLookup env = [&](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto c = in_cluster_connection(env, s.dir);
  CHECK(c.endpoint.url == "https://10.0.0.1:443");
  CHECK(c.endpoint.bearer_token_file == s.dir + "/token");
  CHECK(c.namespace_name == "kubecost");
  vars["KUBERNETES_SERVICE_PORT"] = "44x";
  CHECK_THROWS_WITH(in_cluster_connection(env, s.dir),
                    "KUBERNETES_SERVICE_PORT: invalid value \"44x\": not a port number");
  vars.erase("KUBERNETES_SERVICE_HOST");
  CHECK_THROWS_WITH(in_cluster_connection(env, s.dir), Catch::Contains("not in a cluster"));
  vars["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  vars["KUBERNETES_SERVICE_PORT"] = "443";
  CHECK(in_cluster_connection(env, s.dir).endpoint.url == "https://[fd00::1]:443");
  CHECK_THROWS_WITH(in_cluster_connection(env, "/nonexistent"),
                    Catch::Contains("cannot read the service-account token"));
}

TEST_CASE("kubeconfig: base64", "[threads]") {
  CHECK(base64_decode("aGVsbG8=") == std::optional<std::string>("hello"));
  CHECK(base64_decode("aGVsbG8") == std::optional<std::string>("hello"));
  CHECK_FALSE(base64_decode("aGV*bG8="));
  CHECK_FALSE(base64_decode("aGVs=bG8"));
}
