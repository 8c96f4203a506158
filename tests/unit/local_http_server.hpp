#pragma once
// An in-process cpp-httplib server on 127.0.0.1 at a free port, stopped by its destructor.
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "exporter/http/http_endpoint.hpp"

namespace kci::test {

struct LocalServer {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  LocalServer() = default;
  void start() {
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~LocalServer() {
    server.stop();
    if (thread.joinable()) thread.join();
  }
  // An endpoint for this server: no retries, short deadlines.
  template <class Endpoint = HttpEndpoint>
  Endpoint connection() const {
    using namespace std::chrono_literals;
    Endpoint c;
    c.url = "http://127.0.0.1:" + std::to_string(port);
    c.retries = 0;
    c.request_timeout = 2s;
    c.connect_timeout = 1s;
    return c;
  }
};

}  // namespace kci::test
