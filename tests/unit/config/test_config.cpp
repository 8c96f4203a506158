#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <map>
#include <utility>

#include "exporter/config/config.hpp"
#include "exporter/config/config_file.hpp"
#include "exporter/util/result.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::env_of;

namespace {

Config load(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "allocation-exporter");
  return load_config(parse_command_line(static_cast<int>(args.size()), args.data()),
                     env_of(std::move(env)));
}

std::string error_of(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  try {
    load(std::move(args), std::move(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/kci-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE* f = fdopen(fd, "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return path;
}

}  // namespace

TEST_CASE("config: the CloudTuner exporter's defaults") {
  Config c = load({});
  CHECK(c.kubecost.url == "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090");
  CHECK(c.listen_address == "0.0.0.0:9103");
  CHECK(c.scrape_interval == std::chrono::seconds(120));
  CHECK(c.scrape_jitter_max == std::chrono::seconds(10));
  CHECK(c.effective_max_staleness() == std::chrono::seconds(360));
  CHECK(c.aggregation_level == "namespace");
  CHECK(c.window.text == "24h");  // CloudTuner's chart: 1h is often still empty (kubecost#3758)
  CHECK(c.window.nominal_hours == 24);
  CHECK(c.kubecost.cluster_id.empty());
  CHECK_FALSE(c.multi_cluster);
  CHECK(c.step == "1h");
  CHECK(c.accumulate);
  CHECK_FALSE(c.time_series);
  CHECK(c.include_idle);
  CHECK(c.share_idle == "weighted");
  CHECK(c.metric_mode == MetricMode::rate);
  CHECK(c.tenant_id.empty());
  CHECK(c.cluster_name == "kubernetes");
  CHECK(c.currency == "USD");
  CHECK_FALSE(c.enable_pod_metrics);
  CHECK(c.top_n_pods == 50);
  CHECK(c.origin.at("scrapeInterval") == "default");
}

TEST_CASE("config: defaults < YAML file < environment < flags") {
  std::string path = write_temp(
      "scrapeInterval: 60s\nwindow: 2h\ntenantId: from-file\nclusterName: file-cluster\n"
      "labelKeys: [team, app.kubernetes.io/name]\n");
  Config c = load({"--config.file", path.c_str(), "--cluster-name=flag-cluster"},
                  {{"WINDOW", "3h"}, {"CLUSTER_NAME", "env-cluster"}, {"EXPORTER_PORT", "9200"}});
  CHECK(c.scrape_interval == std::chrono::seconds(60));
  CHECK(c.origin.at("scrapeInterval") == "file");
  CHECK(c.window.text == "3h");
  CHECK(c.origin.at("window") == "env WINDOW");
  CHECK(c.tenant_id == "from-file");
  CHECK(c.cluster_name == "flag-cluster");
  CHECK(c.origin.at("clusterName") == "flag --cluster-name");
  CHECK(c.listen_address == "0.0.0.0:9200");
  REQUIRE(c.label_keys.size() == 2);
  CHECK(c.label_keys[1] == "app.kubernetes.io/name");
  std::remove(path.c_str());
}

TEST_CASE("config: bad values name the key and the value in one line") {
  CHECK(error_of({}, {{"SCRAPE_INTERVAL", "5"}}) ==
        "scrapeInterval: invalid value \"5\": must be at least 10s");
  CHECK(error_of({}, {{"TOP_N_PODS", "0"}}) ==
        "topNPods: invalid value \"0\": must be between 1 and 10000");
  CHECK(error_of({}, {{"TOP_N_PODS", "10001"}}).starts_with("topNPods: invalid value \"10001\""));
  CHECK(error_of({}, {{"TOP_N_PODS", "ten"}}) ==
        "topNPods: invalid value \"ten\": expected a whole number");
  CHECK(error_of({"--kubecost.url", "ftp://kubecost"})
            .starts_with("kubecostUrl: invalid value \"ftp://kubecost\""));
  CHECK(error_of({}, {{"KUBECOST_URL", "kubecost:9090"}}).starts_with("kubecostUrl:"));
  CHECK(error_of({}, {{"WINDOW", "fortnight"}}).starts_with("window: invalid value \"fortnight\""));
  CHECK(error_of({}, {{"METRIC_MODE", "hourly"}}) ==
        "metricMode: invalid value \"hourly\": expected one of rate|total");
  CHECK(error_of({}, {{"INCLUDE_IDLE", "maybe"}}) ==
        "includeIdle: invalid value \"maybe\": expected true or false");
  CHECK(error_of({"--web.listen-address", "9103"}).starts_with("listenAddress:"));
  CHECK(error_of({"--no-such-flag", "1"}) == "--no-such-flag: unknown flag (see --help)");
  CHECK(error_of({"--kubecost.url"}) == "--kubecost.url: missing value");
  CHECK(error_of({}, {{"SCRAPE_INTERVAL", "60"}, {"MAX_STALENESS", "30s"}})
            .starts_with("maxStaleness: invalid value \"30s\""));
}

TEST_CASE("config: boolean flags stand alone or take a value") {
  Config c = load({"--pod-metrics.enabled", "--scrape.interval", "30s", "--demo"});
  CHECK(c.enable_pod_metrics);
  CHECK(c.demo);
  CHECK(c.scrape_interval == std::chrono::seconds(30));
  CHECK_FALSE(load({"--pod-metrics.enabled", "false"}).enable_pod_metrics);
  CHECK_FALSE(load({"--pod-metrics.enabled=false"}).enable_pod_metrics);
}

TEST_CASE("config: YAML is strict") {
  std::string unknown = write_temp("scrapeInterval: 60\nscrapeIntervall: 70\n");
  CHECK(error_of({"--config.file", unknown.c_str()}) ==
        "scrapeIntervall: unknown key in " + unknown);
  std::string nested = write_temp("window:\n  a: 1\n");
  CHECK(error_of({"--config.file", nested.c_str()}) ==
        "window: expected a plain value, not a mapping");
  std::string broken = write_temp("window: [1h\n");
  CHECK(error_of({"--config.file", broken.c_str()}).starts_with("config.file: \""));
  CHECK(error_of({"--config.file", "/nonexistent/x.yaml"}) ==
        "config.file: cannot read \"/nonexistent/x.yaml\": No such file or directory");
  for (auto* p : {&unknown, &nested, &broken}) std::remove(p->c_str());
}

TEST_CASE("config: the shipped example file is valid and complete") {
  std::string path = std::string(KCI_TESTS_DIR) + "/../config/allocation-exporter.example.yaml";
  Config c = load({"--config.file", path.c_str()});
  // Every key the loader knows is documented in the example.
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (const auto& [key, origin] : c.origin) {
    INFO(key);
    CHECK(text.find(key + ":") != std::string::npos);
  }
}

TEST_CASE("config: secrets and credentials stay out of descriptions") {
  CHECK(redact_url("https://user:pw@kubecost:9090/x") == "https://REDACTED@kubecost:9090/x");
  CHECK(redact_url("http://kubecost:9090/a@b") == "http://kubecost:9090/a@b");
  Config c = load({}, {{"KUBECOST_URL", "https://kubecost:9090"}});
  CHECK(describe_config(c).find("https://kubecost:9090") != std::string::npos);
}

TEST_CASE("config: a user:password@ Kubecost URL is refused, pointing at the basic-auth settings") {
  for (const char* env : {"KUBECOST_URL", "KUBECOST_API_ENDPOINT"}) {
    INFO(env);
    auto e = error_of({}, {{env, "https://user:hunter2@kubecost:9090/model"}});
    CHECK(e.find("https://REDACTED@kubecost:9090/model") != std::string::npos);
    CHECK(e.find("kubecostBasicAuthPasswordFile") != std::string::npos);
    CHECK(e.find("hunter2") == std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK(error_of({"--kubecost.url", "http://u@kubecost:9090"}).starts_with("kubecostUrl: "));
  // An '@' after the authority is a path, not credentials.
  CHECK(load({"--kubecost.url", "http://kubecost:9090/a@b"}).kubecost.url ==
        "http://kubecost:9090/a@b");
}

TEST_CASE("config: headers and basic-auth files are checked at load") {
  const std::string headers = write_temp("# proxy cookie\nCookie: token=abc\n\nX-Org: 7\n");
  const std::string bad = write_temp("Cookie: token=abc\nHost: evil\n");
  const std::string pw = write_temp("s3cr3t-pw\n");
  const std::string empty_pw = write_temp("");
  Config c = load({"--kubecost.headers-file", headers.c_str(), "--kubecost.basic-auth-username",
                   "kc", "--kubecost.basic-auth-password-file", pw.c_str()});
  CHECK(c.kubecost.headers_file == headers);
  CHECK(c.kubecost.basic_auth_username == "kc");
  CHECK(describe_config(c).find("s3cr3t") == std::string::npos);
  CHECK(describe_config(c).find("token=abc") == std::string::npos);

  CHECK(error_of({"--kubecost.headers-file", bad.c_str()}) ==
        "kubecostHeadersFile: \"" + bad +
            "\" line 2: \"Host\" is set by the exporter and cannot "
            "be overridden");
  CHECK(error_of({"--kubecost.headers-file", "/nonexistent/h"}) ==
        "kubecostHeadersFile: cannot read \"/nonexistent/h\": No such file or directory");
  CHECK(error_of({"--kubecost.basic-auth-username", "kc"}) ==
        "kubecostBasicAuthUsername and kubecostBasicAuthPasswordFile: set both or neither");
  CHECK(error_of({"--kubecost.basic-auth-password-file", pw.c_str()}).find("set both") !=
        std::string::npos);
  CHECK(error_of({"--kubecost.basic-auth-username", "k:c", "--kubecost.basic-auth-password-file",
                  pw.c_str()})
            .starts_with("kubecostBasicAuthUsername: invalid value \"k:c\""));
  CHECK(error_of({"--kubecost.basic-auth-username", "kc", "--kubecost.basic-auth-password-file",
                  empty_pw.c_str()}) ==
        "kubecostBasicAuthPasswordFile: \"" + empty_pw + "\" holds an empty password");
  CHECK(error_of({"--kubecost.basic-auth-username", "kc", "--kubecost.basic-auth-password-file",
                  pw.c_str(), "--kubecost.bearer-token-file", pw.c_str()})
            .find("configure one of them") != std::string::npos);
  const std::string auth_header = write_temp("Authorization: Bearer x\n");
  CHECK(load({"--kubecost.headers-file", auth_header.c_str()}).kubecost.headers_file ==
        auth_header);
  CHECK(error_of({"--kubecost.headers-file", auth_header.c_str(), "--kubecost.bearer-token-file",
                  pw.c_str()})
            .find("\"Authorization\" conflicts with") != std::string::npos);
  for (const auto& p : {headers, bad, pw, empty_pw, auth_header}) std::remove(p.c_str());
}

TEST_CASE("config: label keys sanitise like Kubecost") {
  CHECK(sanitize_label_name("app.kubernetes.io/name") == "app_kubernetes_io_name");
  CHECK(sanitize_label_name("eks.amazonaws.com/capacityType") == "eks_amazonaws_com_capacityType");
}

// Found by fuzz_config_loader: describing a Config that did not come from load_config threw
// std::out_of_range.
TEST_CASE("config: regression: describe_config on a hand-built config") {
  Config c;
  apply_yaml_text(c, "", "fuzz");
  CHECK(describe_config(c).find("scrapeInterval = 2m  (default)") != std::string::npos);
}

TEST_CASE("config: --config.file must be a regular file of at most 1 MiB") {
  CHECK(error_of({"--config.file", "/tmp"}) == "config.file: \"/tmp\" is not a regular file");
  CHECK(error_of({"--config.file", "/dev/zero"}) ==
        "config.file: \"/dev/zero\" is not a regular file");
  std::string big = write_temp("# padding\n" + std::string(1U << 20, '#'));
  CHECK(error_of({"--config.file", big.c_str()}) ==
        "config.file: \"" + big + "\" is larger than 1 MiB");
  std::remove(big.c_str());
}

TEST_CASE("config: a key given twice in --config.file is an error naming it") {
  std::string twice = write_temp("scrapeInterval: 60s\nwindow: 2h\nscrapeInterval: 90s\n");
  CHECK(error_of({"--config.file", twice.c_str()}) ==
        "scrapeInterval: duplicate key in " + twice + " (lines 1 and 3)");
  std::string quoted = write_temp("currency: USD\n\"currency\": EUR\n");
  CHECK(error_of({"--config.file", quoted.c_str()}) ==
        "currency: duplicate key in " + quoted + " (lines 1 and 2)");
  std::string two_docs = write_temp("window: 2h\n---\nwindow: 3h\n");
  CHECK(error_of({"--config.file", two_docs.c_str()}) ==
        "config.file: \"" + two_docs + "\" holds more than one YAML document");
  for (auto* p : {&twice, &quoted, &two_docs}) std::remove(p->c_str());
}

TEST_CASE("config: currency is an ISO 4217 code from every source") {
  CHECK(load({}, {{"CURRENCY", "EUR"}}).currency == "EUR");
  CHECK(error_of({}, {{"CURRENCY", "US D"}}) ==
        "currency: invalid value \"US D\": expected an ISO 4217 code such as USD");
  CHECK(error_of({"--currency", "US\\"}) ==
        "currency: invalid value \"US\\\\\": expected an ISO 4217 code such as USD");
  std::string file = write_temp("currency: \"USD\\nfake_metric 1\"\n");
  CHECK(error_of({"--config.file", file.c_str()}) ==
        "currency: invalid value \"USD\\nfake_metric 1\": expected an ISO 4217 code such as USD");
  std::remove(file.c_str());
}

TEST_CASE("config: label keys that repeat a label or column name are refused") {
  CHECK(error_of({}, {{"LABEL_KEYS", "team,team"}}) == "labelKeys: \"team\" is listed twice");
  std::string file = write_temp("labelKeys: [app.kubernetes.io/name, app_kubernetes_io/name]\n");
  CHECK(error_of({"--config.file", file.c_str()})
            .starts_with("labelKeys: \"app.kubernetes.io/name\" and \"app_kubernetes_io/name\" "
                         "both become the label label_app_kubernetes_io_name"));
  std::remove(file.c_str());
  CHECK(error_of({"--s3.labels", "team,Team"})
            .starts_with("labels: \"team\" and \"Team\" differ only in case"));
  CHECK(error_of({}, {{"ANNOTATIONS", "owner,owner"}}) == "annotations: \"owner\" is listed twice");
  CHECK(error_of({}, {{"LABELS", "a\"b"}}) ==
        "labels: invalid value \"a\\\"b\": not a Kubernetes label key");
  Config c = load({}, {{"LABELS", "app.kubernetes.io/name,team"}, {"ANNOTATIONS", "owner"}});
  CHECK(c.s3.labels == std::vector<std::string>{"app.kubernetes.io/name", "team"});
  CHECK(c.s3.annotations == std::vector<std::string>{"owner"});
}

TEST_CASE("config: kubecostClusterId from YAML, env or flag; quotes refused in one line") {
  CHECK(load({}).kubecost.cluster_id.empty());  // "": derived by the mode that needs it
  CHECK(load({}, {{"KUBECOST_CLUSTER_ID", "cluster-one"}}).kubecost.cluster_id == "cluster-one");
  CHECK(load({"--kubecost.cluster-id", "flagged"}, {{"KUBECOST_CLUSTER_ID", "env"}})
            .kubecost.cluster_id == "flagged");
  std::string file = write_temp("kubecostClusterId: from-yaml\n");
  CHECK(load({"--config.file", file.c_str()}).kubecost.cluster_id == "from-yaml");
  std::remove(file.c_str());
  CHECK(error_of({}, {{"KUBECOST_CLUSTER_ID", "a\"b"}})
            .starts_with("kubecostClusterId: invalid value \"a\\\"b\""));
}

TEST_CASE("config: the On-Demand API resolution takes 1m, 5m, 1h; refuses others in one line") {
  for (const char* ok : {"1m", "5m", "1h"})
    CHECK(load({}, {{"KUBECOST_ALLOCATION_API_RESOLUTION", ok}}).s3.resolution == ok);
  const std::string bad = error_of({}, {{"KUBECOST_ALLOCATION_API_RESOLUTION", "fast"}});
  CHECK(bad.starts_with("allocationApiResolution: invalid value \"fast\""));
  CHECK(bad.find('\n') == std::string::npos);
}

TEST_CASE("config: timeouts as the AWS exporter's float() reads them (issue 13 item 6)") {
  using std::chrono::milliseconds;
  Config c = load({}, {{"CONNECTION_TIMEOUT", "10.5"},
                       {"KUBECOST_ALLOCATION_API_READ_TIMEOUT", "60.0"},
                       {"KUBECOST_ASSETS_API_READ_TIMEOUT", "1e1"}});
  CHECK(c.s3.connection_timeout == milliseconds(10'500));
  CHECK(c.s3.allocation_read_timeout == milliseconds(60'000));
  CHECK(c.s3.assets_read_timeout == milliseconds(10'000));
  CHECK(load({}, {{"CONNECTION_TIMEOUT", " 10 "}}).s3.connection_timeout == milliseconds(10'000));
  CHECK(load({}, {{"CONNECTION_TIMEOUT", "\t+.5\n"}}).s3.connection_timeout == milliseconds(500));
  CHECK(load({}, {{"CONNECTION_TIMEOUT", "1_0"}}).s3.connection_timeout == milliseconds(10'000));
  CHECK(load({}, {{"CONNECTION_TIMEOUT", "90s"}}).s3.connection_timeout == milliseconds(90'000));
  CHECK(load({}, {{"CONNECTION_TIMEOUT", "2.5E+1"}}).s3.connection_timeout == milliseconds(25'000));
  CHECK(error_of({}, {{"CONNECTION_TIMEOUT", "nan"}}) ==
        "connectionTimeout: invalid value \"nan\": must be a finite number of seconds");
  CHECK(error_of({}, {{"CONNECTION_TIMEOUT", "-Infinity"}}) ==
        "connectionTimeout: invalid value \"-Infinity\": must be a finite number of seconds");
  CHECK(error_of({}, {{"KUBECOST_ALLOCATION_API_READ_TIMEOUT", "-1"}}) ==
        "allocationApiReadTimeout: invalid value \"-1\": must be more than zero seconds");
  CHECK(error_of({}, {{"CONNECTION_TIMEOUT", "0.0"}}) ==
        "connectionTimeout: invalid value \"0.0\": must be more than zero seconds");
  for (const char* bad : {"1__0", "_1", "1.2.3", "e5", "1e", "ten"})
    CHECK(error_of({}, {{"CONNECTION_TIMEOUT", bad}})
              .starts_with("connectionTimeout: invalid value \"" + std::string(bad) +
                           "\": expected seconds as a number"));
  CHECK(error_of({}, {{"CONNECTION_TIMEOUT", "1e300"}})
            .starts_with("connectionTimeout: invalid value \"1e300\": must be at most"));
}

TEST_CASE("config: booleans as the AWS exporter reads them, any case (issue 13 item 6)") {
  for (const char* yes : {"True", "TRUE", "true", "Yes", "Y", "y"})
    CHECK(load({}, {{"KUBECOST_ALLOCATION_API_PAGINATE", yes}}).s3.paginate);
  for (const char* no : {"False", "FALSE", "No", "N", "n"})
    CHECK_FALSE(load({}, {{"TLS_VERIFY", no}}).s3.tls_verify);
  CHECK(error_of({}, {{"TLS_VERIFY", "maybe"}}) ==
        "tlsVerify: invalid value \"maybe\": expected true or false");
}

TEST_CASE("config: a cluster name with '/' is refused when read (issue 13 item 10)") {
  CHECK(error_of({}, {{"CLUSTER_ID", "arn:aws:eks:us-east-1:111122223333:cluster/team/prod"}}) ==
        "clusterId: invalid value \"arn:aws:eks:us-east-1:111122223333:cluster/team/prod\": the "
        "cluster name \"team/prod\" is not an EKS cluster name (1-100 of A-Z a-z 0-9 - _, "
        "starting with a letter or digit; no '/'): it names the S3 object");
  CHECK(error_of({}, {{"CLUSTER_ID", "arn:aws:eks:us-east-1:111122223333:cluster/-x"}})
            .find("is not an EKS cluster name") != std::string::npos);
  CHECK(load({}, {{"CLUSTER_ID", "arn:aws:eks:us-east-1:111122223333:cluster/prod_Eu-1"}})
            .s3.cluster_arn == "arn:aws:eks:us-east-1:111122223333:cluster/prod_Eu-1");
}

TEST_CASE("config: kubecostClusterId and multiCluster by YAML, env and flag") {
  std::string file = write_temp("kubecostClusterId: from-file\nmultiCluster: true\n");
  Config c = load({"--config.file", file.c_str()});
  CHECK(c.kubecost.cluster_id == "from-file");
  CHECK(c.multi_cluster);
  c = load({"--config.file", file.c_str()},
           {{"KUBECOST_CLUSTER_ID", "from-env"}, {"MULTI_CLUSTER", "false"}});
  CHECK(c.kubecost.cluster_id == "from-env");
  CHECK_FALSE(c.multi_cluster);
  c = load({"--kubecost.cluster-id", "from-flag", "--kubecost.multi-cluster", "true"},
           {{"KUBECOST_CLUSTER_ID", "from-env"}});
  CHECK(c.kubecost.cluster_id == "from-flag");
  CHECK(c.multi_cluster);
  CHECK(c.origin.at("kubecostClusterId") == "flag --kubecost.cluster-id");
  std::remove(file.c_str());
  CHECK(error_of({}, {{"KUBECOST_CLUSTER_ID", "a\"b"}}) ==
        "kubecostClusterId: invalid value \"a\\\"b\": a cluster id must not contain quotes, "
        "backslashes or control characters");
  CHECK(error_of({}, {{"MULTI_CLUSTER", "yes please"}}) ==
        "multiCluster: invalid value \"yes please\": expected true or false");
}

TEST_CASE("config: leader election settings from YAML, env and flags, with client-go's rules") {
  Config d = load({});
  CHECK_FALSE(d.leader_election.enabled);
  CHECK(d.leader_election.lease_name == "kubecost-allocation-exporter");
  CHECK(d.leader_election.lease_duration == std::chrono::seconds(15));
  CHECK(d.leader_election.renew_deadline == std::chrono::seconds(10));
  CHECK(d.leader_election.retry_period == std::chrono::seconds(2));
  Config c = load({"--leader-election.enabled", "--leader-election.lease-duration", "3s",
                   "--kubeconfig", "/tmp/kc"},
                  {{"LEADER_ELECTION_RENEW_DEADLINE", "2s"},
                   {"LEADER_ELECTION_RETRY_PERIOD", "500ms"},
                   {"LEADER_ELECTION_NAMESPACE", "kubecost"},
                   {"LEADER_ELECTION_LEASE_NAME", "my.lease"}});
  CHECK(c.leader_election.enabled);
  CHECK(c.leader_election.lease_duration == std::chrono::seconds(3));
  CHECK(c.leader_election.renew_deadline == std::chrono::seconds(2));
  CHECK(c.leader_election.retry_period == std::chrono::milliseconds(500));
  CHECK(c.leader_election.namespace_name == "kubecost");
  CHECK(c.leader_election.lease_name == "my.lease");
  CHECK(c.kubeconfig == "/tmp/kc");
  CHECK(c.origin.at("leaderElection.enabled") == "flag --leader-election.enabled");
  // The flag wins over the environment, as for every setting.
  CHECK(load({"--leader-election.enabled=false"}, {{"LEADER_ELECTION", "true"}})
            .leader_election.enabled == false);

  CHECK(error_of({"--leader-election.lease-duration", "10s"}) ==
        "leaderElection.leaseDuration: invalid value \"10s\": must be greater than "
        "leaderElection.renewDeadline (10s)");
  CHECK(error_of({}, {{"LEADER_ELECTION_RETRY_PERIOD", "9s"}}) ==
        "leaderElection.renewDeadline: invalid value \"10s\": must be greater than 1.2 x "
        "leaderElection.retryPeriod (9s)");
  CHECK(error_of({}, {{"LEADER_ELECTION_LEASE_DURATION", "1500ms"}}) ==
        "leaderElection.leaseDuration: invalid value \"1500ms\": must be a whole number of "
        "seconds");
  CHECK(error_of({}, {{"LEADER_ELECTION_NAMESPACE", "Kube_Cost"}}) ==
        "leaderElection.namespace: invalid value \"Kube_Cost\": not a Kubernetes namespace name "
        "(a DNS-1123 label)");
  CHECK(error_of({}, {{"LEADER_ELECTION_LEASE_NAME", ""}})
            .starts_with("leaderElection.leaseName: invalid value \"\""));
  CHECK(error_of({}, {{"LEADER_ELECTION", "maybe"}})
            .starts_with("leaderElection.enabled: invalid value \"maybe\""));
}

// The rules are config/cluster_arn.hpp's: the region shape follows botocore's partition
// regionRegex values (botocore/data/endpoints.json), not AWS's exporter's narrower regex.
TEST_CASE("config: CLUSTER_ID's partition, region and account are checked") {
  auto arn = [](const std::string& partition, const std::string& region,
                const std::string& account) {
    return "arn:" + partition + ":eks:" + region + ":" + account + ":cluster/c";
  };
  // A region with '/' became an extra object key segment (region=us-east-1/../x/).
  const std::string slash = arn("aws", "us-east-1/../x", "111122223333");
  CHECK(error_of({}, {{"CLUSTER_ID", slash}}) ==
        "clusterId: invalid value \"" + slash +
            "\": the region \"us-east-1/../x\" is not an AWS region code (like us-east-1: two "
            "letters, an optional -gov, -<name>-<number>)");
  for (const char* region : {"", "us-east-1.x", "US-EAST-1", "us-east", "useast-1", "us-east-1-",
                             "us--1", "u-east-1", "us-east-1a", "us-east-1 "}) {
    INFO(region);
    CHECK(error_of({}, {{"CLUSTER_ID", arn("aws", region, "111122223333")}})
              .find(std::string("the region \"") + region + "\" is not an AWS region code") !=
          std::string::npos);
  }
  // The part at fault is escaped like the value: the error stays one line.
  const std::string newline = error_of({}, {{"CLUSTER_ID", arn("aws", "us\neast-1", "1")}});
  CHECK(newline.find("the region \"us\\neast-1\" is not an AWS region code") != std::string::npos);
  CHECK(newline.find('\n') == std::string::npos);
  CHECK(error_of({}, {{"CLUSTER_ID", arn("aws-xx", "us-east-1", "111122223333")}}) ==
        "clusterId: invalid value \"" + arn("aws-xx", "us-east-1", "111122223333") +
            "\": the partition \"aws-xx\" is not aws, aws-cn or aws-us-gov");
  CHECK(error_of({}, {{"CLUSTER_ID", arn("aws", "cn-north-1", "111122223333")}})
            .ends_with("the region \"cn-north-1\" is in the partition aws-cn, not aws"));
  CHECK(error_of({}, {{"CLUSTER_ID", arn("aws-us-gov", "us-east-1", "111122223333")}})
            .ends_with("the region \"us-east-1\" is in the partition aws, not aws-us-gov"));
  for (const char* account : {"11112222333", "1111222233334", "11112222333x", ""}) {
    INFO(account);
    CHECK(error_of({}, {{"CLUSTER_ID", arn("aws", "us-east-1", account)}})
              .ends_with(std::string("the account \"") + account +
                         "\" is not a 12-digit AWS account id"));
  }
  CHECK(
      error_of({}, {{"CLUSTER_ID", "arn:aws:iam::111122223333:role/x"}})
          .ends_with("expected an EKS cluster ARN arn:aws:eks:<region>:<account>:cluster/<name>"));
  // Accepted: the regions AWS's own pattern knows, the newer prefixes it does not, both other
  // partitions.
  for (const auto& [partition, region] :
       std::vector<std::pair<std::string, std::string>>{{"aws", "us-east-1"},
                                                        {"aws", "ap-southeast-2"},
                                                        {"aws", "eu-central-1"},
                                                        {"aws", "me-central-1"},
                                                        {"aws", "af-south-1"},
                                                        {"aws", "il-central-1"},
                                                        {"aws", "mx-central-1"},
                                                        {"aws", "ap-southeast-12"},
                                                        {"aws-cn", "cn-north-1"},
                                                        {"aws-cn", "cn-northwest-1"},
                                                        {"aws-us-gov", "us-gov-west-1"}}) {
    INFO(partition << " " << region);
    CHECK(load({}, {{"CLUSTER_ID", arn(partition, region, "111122223333")}}).s3.cluster_arn ==
          arn(partition, region, "111122223333"));
  }
}

// It names the Secrets Manager host, so it must be a region code (cluster_arn.hpp
// valid_aws_region).
TEST_CASE("config: KUBECOST_CA_CERTIFICATE_SECRET_REGION is a region code") {
  CHECK(load({}, {{"KUBECOST_CA_CERTIFICATE_SECRET_REGION", "eu-west-1"}}).s3.ca_secret_region ==
        "eu-west-1");
  CHECK(load({}, {{"KUBECOST_CA_CERTIFICATE_SECRET_REGION", ""}}).s3.ca_secret_region.empty());
  CHECK(error_of({}, {{"KUBECOST_CA_CERTIFICATE_SECRET_REGION", "evil.example.com/x"}}) ==
        "caCertificateSecretRegion: invalid value \"evil.example.com/x\": not an AWS region code "
        "(like us-east-1: two letters, an optional -gov, -<name>-<number>)");
}

// As AWS's kubecost-s3-exporter reads it (main.py: int(os.environ.get(...)); value_parsers.hpp
// parse_int_like_python).
TEST_CASE("config: BACKFILL_PERIOD_DAYS as Python's int() reads it") {
  for (const char* v : {"15 ", " 15", "1_5", "+15", "015"}) {
    INFO(v);
    CHECK(load({}, {{"BACKFILL_PERIOD_DAYS", v}}).s3.backfill_days == 15);
  }
  CHECK(error_of({}, {{"BACKFILL_PERIOD_DAYS", "1__5"}}) ==
        "backfillPeriodDays: invalid value \"1__5\": expected a whole number");
  CHECK(error_of({}, {{"BACKFILL_PERIOD_DAYS", " 2 "}}) ==
        "backfillPeriodDays: invalid value \" 2 \": must be between 3 and 3650");
}

TEST_CASE(
    "config: maxSeries is 200000 by default, 1..50000000 from every source (issue 21 item D)") {
  CHECK(load({}).max_series == 200000);
  CHECK(load({}, {{"MAX_SERIES", "5000"}}).max_series == 5000);
  CHECK(load({"--scrape.max-series", "7"}).max_series == 7);
  CHECK(error_of({}, {{"MAX_SERIES", "0"}}) ==
        "maxSeries: invalid value \"0\": must be between 1 and 50000000");
  CHECK(error_of({}, {{"MAX_SERIES", "2e5"}}) ==
        "maxSeries: invalid value \"2e5\": expected a whole number");
}
