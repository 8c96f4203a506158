// HttpKubecostApi against an in-process server: the queries s3-export sends and what it makes of
// the answers.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>

#include "exporter/s3export/http_kubecost_api.hpp"
#include "local_http_server.hpp"

using namespace kci;
using kci::test::LocalServer;

namespace {

constexpr std::int64_t k_day = 19798;  // 2024-03-16

// Records every request as "<path> <param>=<value>&..." (decoded, in httplib's order).
struct RecordingKubecost {
  LocalServer server;
  std::mutex mutex;
  std::vector<httplib::Request> requests;
  std::string allocation_body = R"({"code":200,"data":[]})";
  std::string assets_body = R"({"code":200,"data":[{}]})";
  int status = 200;
  std::map<std::string, int> status_of_path;  // overrides `status` for one path

  RecordingKubecost() {
    auto handler = [this](const std::string* body) {
      return [this, body](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex);
        requests.push_back(req);
        const auto it = status_of_path.find(req.path);
        res.status = it == status_of_path.end() ? status : it->second;
        res.set_content(res.status == 404 ? std::string("404 page not found") : *body,
                        "application/json");
      };
    };
    for (const char* p :
         {"/model/allocation", "/allocation", "/model/allocation/compute", "/allocation/compute"})
      server.server.Get(p, handler(&allocation_body));
    for (const char* p : {"/model/assets", "/assets"}) server.server.Get(p, handler(&assets_body));
    server.start();
  }
  KubecostConnection connection(Flavour flavour) {
    auto c = server.connection<KubecostConnection>();
    c.flavour = flavour;
    return c;
  }
};

}  // namespace

TEST_CASE("kubecost api: the days with data, from one aggregate=cluster step=1d query") {
  RecordingKubecost kubecost;
  kubecost.allocation_body = R"({"code":200,"data":[
    {"cluster-one":{"window":{"start":"2024-03-13T00:00:00Z","end":"2024-03-14T00:00:00Z"},"totalCost":12.5}},
    null,
    {"cluster-one":{"window":{"start":"2024-03-15T00:00:00Z","end":"2024-03-16T00:00:00Z"},"totalCost":null}},
    {"cluster-one":{"window":{"start":"2024-03-16T00:00:00Z","end":"2024-03-17T00:00:00Z"},"totalCost":0}}]})";
  S3ExportQueryOptions query;
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  auto days = api.days_with_data(k_day - 3, k_day);
  REQUIRE(days.ok());
  CHECK(days.value().days == std::set<std::int64_t>{k_day - 3, k_day});
  CHECK(days.value().cluster.empty());  // no CLUSTER_ID, no KUBECOST_CLUSTER_ID: not checked
  REQUIRE(kubecost.requests.size() == 1);
  const auto& q = kubecost.requests[0];
  CHECK(q.path == "/model/allocation");
  CHECK_FALSE(q.has_param("filter"));  // every cluster's days
  CHECK(q.get_param_value("window") == "2024-03-13T00:00:00Z,2024-03-17T00:00:00Z");
  CHECK(q.get_param_value("aggregate") == "cluster");
  CHECK(q.get_param_value("step") == "1d");
  CHECK(q.get_param_value("accumulate") == "false");
  CHECK(q.get_param_value("idle") == "true");
  CHECK(q.get_param_value("includeIdle") == "true");
  CHECK(q.get_param_value("splitIdle") == "true");
  CHECK(q.get_param_value("idleByNode") == "true");
}

TEST_CASE("kubecost api: an empty answer means no days; an error answer is a failure") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  auto none = api.days_with_data(k_day - 3, k_day);
  REQUIRE(none.ok());
  CHECK(none.value().days.empty());
  kubecost.status = 500;
  auto failed = api.days_with_data(k_day - 3, k_day);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.failure().http_status == 500);
  // Named by its path and window: one endpoint's failure is told from another's.
  CHECK(failed.failure().message.rfind(
            "GET /model/allocation window=2024-03-13T00:00:00Z,2024-03-17T00:00:00Z: HTTP 500",
            0) == 0);
  query.granularity = "hourly";
  HttpKubecostApi hourly(kubecost.connection(Flavour::opencost), query);
  auto day = hourly.hourly_sets(k_day, [](const ParsedAllocation&) {});
  REQUIRE_FALSE(day.ok());
  CHECK(day.failure().message.rfind(
            "GET /allocation/compute window=2024-03-16T00:00:00Z,2024-03-17T00:00:00Z: HTTP 500",
            0) == 0);
}

TEST_CASE(
    "kubecost api: hourly asks the On-Demand API with step=1h, the resolution and the cluster") {
  RecordingKubecost kubecost;
  kubecost.allocation_body = R"({"code":200,"data":[{
    "c/n/ns/p/app":{"name":"c/n/ns/p/app","properties":{"cluster":"c","node":"n","namespace":"ns",
      "pod":"p","container":"app","labels":{"team":"platform","app_kubernetes_io_name":"shop"},
      "annotations":{"owner":"me"}},
      "window":{"start":"2024-03-16T00:00:00Z","end":"2024-03-16T01:00:00Z"},"totalCost":2.5}}]})";
  S3ExportQueryOptions query;
  query.labels = {"app.kubernetes.io/name", "team"};
  query.annotations = {"owner"};
  query.resolution = "5m";
  query.cluster_arn = "arn:aws:eks:us-east-1:111122223333:cluster/eks-test";
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  std::vector<std::string> seen;
  auto r = api.hourly_sets(k_day, [&](const ParsedAllocation& a) {
    REQUIRE(a.label_values);
    REQUIRE(a.annotation_values);
    seen.push_back(std::string(a.name) + " " + std::string(a.node) + " " +
                   std::string((*a.label_values)[0]) + " " + std::string((*a.label_values)[1]) +
                   " " + std::string((*a.annotation_values)[0]));
    CHECK(a.get(AllocField::total_cost) == 2.5);
    CHECK(a.window_start == 1710547200);
  });
  REQUIRE(r.ok());
  CHECK(seen == std::vector<std::string>{"c/n/ns/p/app n shop platform me"});
  REQUIRE(kubecost.requests.size() == 1);
  const auto& q = kubecost.requests[0];
  CHECK(q.path == "/model/allocation/compute");
  CHECK(q.get_param_value("window") == "2024-03-16T00:00:00Z,2024-03-17T00:00:00Z");
  // AGGREGATION=container: no aggregate, as AWS's exporter sends, so rows keep Kubecost's own
  // names cluster/node/namespace/pod/container (opencost pkg/costmodel/allocation.go).
  CHECK_FALSE(q.has_param("aggregate"));
  CHECK(q.get_param_value("step") == "1h");
  CHECK(q.get_param_value("resolution") == "5m");
  CHECK(q.get_param_value("accumulate") == "false");
  // No KUBECOST_CLUSTER_ID: the CLUSTER_ID ARN's cluster name.
  CHECK(q.get_param_value("filter") == "cluster:\"eks-test\"");
}

TEST_CASE("kubecost api: the ETL day is /model/allocation with step=1d, in one query") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  query.granularity = "daily";
  query.paginate = true;  // AWS paginates hourly exports only
  auto connection = kubecost.connection(Flavour::kubecost);
  connection.cluster_id = "kubecost-name-of-it";
  HttpKubecostApi api(connection, query);
  REQUIRE(api.day_set(k_day, [](const ParsedAllocation&) {}).ok());
  REQUIRE(api.days_with_data(k_day - 3, k_day).ok());
  REQUIRE(kubecost.requests.size() == 2);
  const auto& q = kubecost.requests[0];
  CHECK(q.path == "/model/allocation");
  CHECK(q.get_param_value("window") == "2024-03-16T00:00:00Z,2024-03-17T00:00:00Z");
  CHECK(q.get_param_value("step") == "1d");
  CHECK_FALSE(q.has_param("resolution"));
  CHECK(q.get_param_value("filter") == "cluster:\"kubecost-name-of-it\"");
  CHECK_FALSE(kubecost.requests[1].has_param("filter"));  // the day list asks for every cluster
}

namespace {

// A day list of `clusters`, each with a cost on 2024-03-16 (k_day).
std::string day_list(const std::vector<std::string>& clusters) {
  std::string set;
  for (const auto& c : clusters)
    set += (set.empty() ? "\"" : ",\"") + c + "\":{\"name\":\"" + c +
           "\",\"properties\":{\"cluster\":\"" + c +
           "\"},\"window\":{\"start\":\"2024-03-16T00:00:00Z\",\"end\":\"2024-03-17T00:00:00Z\"},"
           "\"totalCost\":1}";
  return R"({"code":200,"data":[{)" + set + "}]}";
}

}  // namespace

TEST_CASE("kubecost api: which cluster: KUBECOST_CLUSTER_ID, the ARN's name, or Kubecost's only") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  query.cluster_arn = "arn:aws:eks:us-east-1:111122223333:cluster/eks-test";
  SECTION("Kubecost knows the ARN's name among others: that one's days") {
    kubecost.allocation_body = day_list({"eks-test", "other", "__idle__", "__unallocated__"});
    HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
    auto days = api.days_with_data(k_day - 3, k_day);
    REQUIRE(days.ok());
    CHECK(days.value().cluster == "eks-test");
    CHECK(days.value().days == std::set<std::int64_t>{k_day});
  }
  SECTION("Kubecost's only cluster is cluster-one: exported, and the filter follows") {
    kubecost.allocation_body = day_list({"cluster-one"});
    HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
    auto days = api.days_with_data(k_day - 3, k_day);
    REQUIRE(days.ok());
    CHECK(days.value().cluster == "cluster-one");
    CHECK(days.value().days == std::set<std::int64_t>{k_day});
    REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
    CHECK(kubecost.requests.back().get_param_value("filter") == "cluster:\"cluster-one\"");
  }
  SECTION("several clusters, none of them this one: a failure naming them") {
    kubecost.allocation_body =
        day_list({"cluster-one", "cluster-two", "cluster-two/__idle__", "prod__east"});
    HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
    auto days = api.days_with_data(k_day - 3, k_day);
    REQUIRE_FALSE(days.ok());
    CHECK(days.failure().message ==
          "Kubecost has no data for cluster \"eks-test\" (the CLUSTER_ID name), only for "
          "\"cluster-one\", \"cluster-two\", \"prod__east\": set KUBECOST_CLUSTER_ID to Kubecost's "
          "id of this cluster");
  }
  SECTION("KUBECOST_CLUSTER_ID is never replaced, even by Kubecost's only cluster") {
    kubecost.allocation_body = day_list({"cluster-one"});
    auto connection = kubecost.connection(Flavour::kubecost);
    connection.cluster_id = "pinned";
    HttpKubecostApi api(connection, query);
    auto days = api.days_with_data(k_day - 3, k_day);
    REQUIRE_FALSE(days.ok());
    CHECK(days.failure().message.find("(KUBECOST_CLUSTER_ID), only for \"cluster-one\"") !=
          std::string::npos);
  }
  SECTION("no data at all: no days, not a failure") {
    HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
    auto days = api.days_with_data(k_day - 3, k_day);
    REQUIRE(days.ok());
    CHECK(days.value().days.empty());
    CHECK(days.value().cluster == "eks-test");
  }
}

TEST_CASE("kubecost api: AGGREGATION other than container is sent as it is, as AWS's exporter") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  query.aggregation = "pod";
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  CHECK(kubecost.requests.back().get_param_value("aggregate") == "pod");
}

TEST_CASE("kubecost api: with pagination, 24 one-hour windows of the On-Demand API") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  query.paginate = true;
  query.aggregation = "namespace";
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  REQUIRE(kubecost.requests.size() == 24);
  CHECK(kubecost.requests[0].get_param_value("window") ==
        "2024-03-16T00:00:00Z,2024-03-16T01:00:00Z");
  CHECK(kubecost.requests[23].get_param_value("window") ==
        "2024-03-16T23:00:00Z,2024-03-17T00:00:00Z");
  CHECK(kubecost.requests[5].path == "/model/allocation/compute");
  CHECK(kubecost.requests[5].get_param_value("step") == "1h");
  CHECK(kubecost.requests[5].get_param_value("aggregate") == "namespace");
}

TEST_CASE("kubecost api: a failed page stops the day") {
  RecordingKubecost kubecost;
  kubecost.status = 500;
  S3ExportQueryOptions query;
  query.paginate = true;
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  auto r = api.hourly_sets(k_day, [](const ParsedAllocation&) {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().http_status == 500);
  CHECK(kubecost.requests.size() == 1);
}

TEST_CASE("kubecost api: OpenCost paths and idle parameters") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions query;
  HttpKubecostApi api(kubecost.connection(Flavour::opencost), query);
  REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  REQUIRE(api.node_facts(k_day).ok());
  REQUIRE(kubecost.requests.size() == 2);
  CHECK(kubecost.requests[0].path == "/allocation/compute");
  CHECK(kubecost.requests[0].get_param_value("includeIdle") == "true");
  CHECK(kubecost.requests[0].get_param_value("idleByNode") == "true");
  // Both idle parameters, whichever API: OpenCost reads includeIdle only, Kubecost idle.
  CHECK(kubecost.requests[0].get_param_value("idle") == "true");
  CHECK(kubecost.requests[1].path == "/assets");
  CHECK(kubecost.requests[1].get_param_value("filter") == "assetType:\"node\"");
  CHECK(kubecost.requests[1].get_param_value("window") ==
        "2024-03-16T00:00:00Z,2024-03-17T00:00:00Z");
}

TEST_CASE("kubecost api: kubecostFlavor=auto takes OpenCost's paths when /model answers 404") {
  RecordingKubecost kubecost;
  kubecost.status_of_path["/model/allocation"] = 404;
  S3ExportQueryOptions s3;
  HttpKubecostApi api(kubecost.connection(Flavour::auto_detect), s3);
  REQUIRE(api.days_with_data(k_day - 3, k_day).ok());
  REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  REQUIRE(api.node_facts(k_day).ok());
  REQUIRE(kubecost.requests.size() == 4);
  CHECK(kubecost.requests[0].path == "/model/allocation");
  CHECK(kubecost.requests[1].path == "/allocation");
  CHECK(kubecost.requests[1].get_param_value("includeIdle") == "true");
  CHECK(kubecost.requests[2].path == "/allocation/compute");
  CHECK(kubecost.requests[3].path == "/assets");
}

TEST_CASE("kubecost api: kubecostFlavor=auto keeps Kubecost's paths when they answer") {
  RecordingKubecost kubecost;
  S3ExportQueryOptions s3;
  HttpKubecostApi api(kubecost.connection(Flavour::auto_detect), s3);
  REQUIRE(api.days_with_data(k_day - 3, k_day).ok());
  REQUIRE(api.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  REQUIRE(kubecost.requests.size() == 2);
  CHECK(kubecost.requests[0].path == "/model/allocation");
  CHECK(kubecost.requests[1].path == "/model/allocation/compute");
}

TEST_CASE("kubecost api: node facts from Kubecost's assets query") {
  RecordingKubecost kubecost;
  kubecost.assets_body = R"({"code":200,"data":[{
    "a":{"type":"Node","properties":{"cluster":"c","name":"n1","provider":"AWS"},
         "labels":{"label_node_kubernetes_io_instance_type":"m5.large"}}}]})";
  S3ExportQueryOptions query;
  HttpKubecostApi api(kubecost.connection(Flavour::kubecost), query);
  auto nodes = api.node_facts(k_day);
  REQUIRE(nodes.ok());
  CHECK(nodes.value().at({"c", "n1"}).instance_type == "m5.large");
  REQUIRE(kubecost.requests.size() == 1);
  CHECK(kubecost.requests[0].path == "/model/assets");
  CHECK(kubecost.requests[0].get_param_value("filterTypes") == "Node");
  CHECK(kubecost.requests[0].get_param_value("accumulate") == "true");
}

TEST_CASE("kubecost api: an Assets answer over 64 MiB is refused as it arrives") {
  constexpr std::size_t k_chunk = 1 << 20, k_chunks = 80;  // 80 MiB, never a complete answer
  const std::string chunk(k_chunk, ' ');
  LocalServer server;
  server.server.Get("/model/assets", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json",
                                     [&](std::size_t offset, httplib::DataSink& sink) {
                                       if (offset >= k_chunk * k_chunks) {
                                         sink.done();
                                         return true;
                                       }
                                       sink.write(chunk.data(), chunk.size());
                                       return true;
                                     });
  });
  server.start();
  S3ExportQueryOptions query;
  auto connection = server.connection<KubecostConnection>();
  connection.retries = 0;
  HttpKubecostApi api(connection, query);
  auto facts = api.node_facts(k_day);
  REQUIRE_FALSE(facts.ok());
  CHECK(facts.failure().reason == FailureReason::too_large);
  CHECK(facts.failure().message ==
        "GET /model/assets window=2024-03-16T00:00:00Z,2024-03-17T00:00:00Z: response larger than "
        "the Assets answer cap (bytes)=67108864");
}
