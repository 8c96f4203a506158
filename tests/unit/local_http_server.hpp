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

// Serves, on `pattern`, a valid empty Allocation answer in `pieces` pieces `gap` apart: the
// start, blanks, then the end. text/event-stream: cpp-httplib's server gzips other types for a
// client that accepts gzip, and its compressor holds small pieces back, so none would arrive
// until the end. Starts the server.
inline void drip_json(LocalServer& s, const std::string& pattern, int pieces,
                      std::chrono::milliseconds gap) {
  s.server.Get(pattern, [pieces, gap](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "text/event-stream", [pieces, gap, n = 0](std::size_t, httplib::DataSink& sink) mutable {
          std::this_thread::sleep_for(gap);
          const std::string piece = n == 0 ? R"({"code":200,"data":[)" : " ";
          if (!sink.write(piece.data(), piece.size())) return false;
          if (++n == pieces) {
            sink.write("]}", 2);
            sink.done();
          }
          return true;
        });
  });
  s.start();
}

}  // namespace kci::test
