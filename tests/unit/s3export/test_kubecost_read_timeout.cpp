// KUBECOST_ALLOCATION_API_READ_TIMEOUT as the AWS kubecost-s3-exporter means it: requests'
// timeout=(connect, read), the read part a wait between reads (main.py passes
// timeout=(connection_timeout, read_timeout) to requests.get). An answer that keeps arriving
// for longer than the read timeout is read whole (issue 13 item 6).
#include <catch2/catch.hpp>

#include <thread>

#include "exporter/s3export/http_kubecost_api.hpp"
#include "local_http_server.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::LocalServer;

namespace {

constexpr std::int64_t k_day = 19798;  // 2024-03-16

}  // namespace

TEST_CASE("kubecost read timeout: a 3 s answer with 300 ms gaps passes a 1 s read timeout") {
  LocalServer s;
  kci::test::drip_json(s, ".*", 10, 300ms);
  KubecostConnection connection;
  connection.url = "http://127.0.0.1:" + std::to_string(s.port);
  connection.retries = 0;
  S3ExportQueryOptions query;
  query.allocation_read_timeout = 1s;
  query.assets_read_timeout = 1s;
  HttpKubecostApi api(connection, query);
  auto days = api.days_with_data(k_day - 3, k_day);
  if (!days.ok()) FAIL(days.failure().message);
  CHECK(days.value().days.empty());
}

TEST_CASE("kubecost read timeout: a gap longer than it fails the request, naming it") {
  LocalServer s;
  kci::test::drip_json(s, ".*", 2, 1500ms);
  KubecostConnection connection;
  connection.url = "http://127.0.0.1:" + std::to_string(s.port);
  connection.retries = 0;
  S3ExportQueryOptions query;
  query.allocation_read_timeout = 500ms;
  HttpKubecostApi api(connection, query);
  auto days = api.days_with_data(k_day - 3, k_day);
  REQUIRE_FALSE(days.ok());
  CHECK(days.failure().reason == FailureReason::timeout);
  CHECK(days.failure().message.find("KUBECOST_ALLOCATION_API_READ_TIMEOUT") != std::string::npos);
}
