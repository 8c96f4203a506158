// KUBECOST_ALLOCATION_API_READ_TIMEOUT as the AWS kubecost-s3-exporter means it: requests'
// timeout=(connect, read), the read part a wait between reads (main.py passes
// timeout=(connection_timeout, read_timeout) to requests.get). An answer that keeps arriving
// for longer than the read timeout is read whole (issue 13 item 6).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "exporter/s3export/http_kubecost_api.hpp"
#include "local_http_server.hpp"
#include "s3export/s3export_fakes.hpp"

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
  kci::test::LogCapture log;
  auto days = api.days_with_data(k_day - 3, k_day);
  REQUIRE_FALSE(days.ok());
  CHECK(days.failure().reason == FailureReason::timeout);
  CHECK(days.failure().message.find("KUBECOST_ALLOCATION_API_READ_TIMEOUT") != std::string::npos);
  // AWS's exporter's own line, so its troubleshooting guide finds it; ours goes on with detail.
  CHECK(log.lines_with({"msg=\"Timed out waiting for Kubecost Allocation API to send an HTTP "
                        "response in the given time (0.5s). Consider increasing the read timeout "
                        "value.\" api=\"Kubecost Allocation API\""})
            .size() == 1);
  // The On-Demand API and a whole-second setting, printed as AWS's float: "(2.0s)".
  query.allocation_read_timeout = 2s;
  LocalServer slower;
  kci::test::drip_json(slower, ".*", 2, 2500ms);
  connection.url = "http://127.0.0.1:" + std::to_string(slower.port);
  HttpKubecostApi on_demand(connection, query);
  REQUIRE_FALSE(on_demand.hourly_sets(k_day, [](const ParsedAllocation&) {}).ok());
  CHECK(log.lines_with({"msg=\"Timed out waiting for Kubecost Allocation On-Demand API to send an "
                        "HTTP response in the given time (2.0s)."})
            .size() == 1);
  // The Assets API, with its own setting.
  query.assets_read_timeout = 500ms;
  HttpKubecostApi assets(connection, query);
  REQUIRE_FALSE(assets.node_facts(k_day).ok());
  CHECK(log.lines_with({"msg=\"Timed out waiting for Kubecost Assets API to send an HTTP response "
                        "in the given time (0.5s). Consider increasing the read timeout value.\""})
            .size() == 1);
}

TEST_CASE("kubecost connect timeout: AWS's line, with CONNECTION_TIMEOUT as AWS prints it") {
  // A listener that never accepts, its accept queue filled: Linux drops further SYNs, so the
  // next connect neither succeeds nor fails until the connect timeout.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 0) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    // Non-blocking: EINPROGRESS, or queued; either way the queue fills.
    (void)::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(100ms);
  KubecostConnection connection;
  connection.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  connection.retries = 0;
  connection.connect_timeout = 300ms;
  S3ExportQueryOptions query;
  HttpKubecostApi api(connection, query);
  kci::test::LogCapture log;
  auto days = api.days_with_data(k_day - 3, k_day);
  for (int c : fillers) ::close(c);
  ::close(listener);
  REQUIRE_FALSE(days.ok());
  CHECK(days.failure().timeout == TimeoutKind::connect);
  CHECK(log.lines_with({"msg=\"Timed out waiting for TCP connection establishment in the given "
                        "time (0.3s). Consider increasing the connection timeout value.\""})
            .size() == 1);
}
