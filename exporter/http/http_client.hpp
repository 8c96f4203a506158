#pragma once
// An HTTP client for Kubecost/OpenCost (GET) and the Kubernetes API (GET/POST/PUT with a JSON
// body): connect and whole-request deadlines (and, when set, an idle timeout: the longest wait
// between two reads, http_endpoint.hpp), bounded retries
// with backoff on timeouts, connection errors and 5xx, gzip, TLS verification (CA file or an
// explicit insecure switch), an optional bearer-token file, basic auth and extra headers from
// files (config/request_credentials.hpp; re-read before every request) and a response-size cap.
// Each attempt is one exchange (http_exchange.hpp: status line, headers and chunk lines bounded,
// no peer bytes in its errors). The whole-request deadline and the backoff between retries
// read time and wait through an Env (util/env.hpp); the connect and idle timeouts are real time.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "exporter/http/body_sink.hpp"
#include "exporter/http/http_endpoint.hpp"
#include "exporter/util/env.hpp"
#include "exporter/util/padded_buffer.hpp"
#include "exporter/util/result.hpp"

namespace kci {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;  // capacity() >= size() + k_body_padding
};

class HttpClient {
 public:
  // `env` must outlive the client.
  explicit HttpClient(HttpEndpoint endpoint, Env& env = Env::system());
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET base URL + path_and_query. Success only for a 2xx status.
  Expected<HttpResponse> get(const std::string& path_and_query);

  // The same, with the 2xx body streamed into `sink`. The size cap counts decompressed bytes.
  // A sink that stops the transfer yields sink_refused() (body_sink.hpp): the sink's own
  // failure is the one to report. Non-2xx bodies are kept (up to 64 KiB) for the message only.
  Expected<void> get(const std::string& path_and_query, BodySink& sink);

  // One request `method` (GET, POST, PUT) with `body` sent as `content_type` (none when empty),
  // attempted once: a write is never repeated behind the caller's back (the caller decides,
  // e.g. the leader elector retries every retry period). Success only for a 2xx status; other
  // statuses fail with reason http_status, the status in Failure::http_status and the start
  // of the body in the message.
  Expected<HttpResponse> send(std::string_view method, const std::string& path_and_query,
                              const std::string& body, std::string_view content_type);

  // Thread-safe: aborts the request in flight and any backoff sleep; later calls fail fast.
  void cancel();

  // Extra attempts made so far by get(); thread-safe.
  std::uint64_t retries_total() const { return m_retries.load(std::memory_order_relaxed); }

 private:
  struct Outgoing {
    std::string_view method = "GET";
    const std::string* body = nullptr;
    std::string_view content_type;
  };
  Expected<HttpResponse> attempt(const std::string& path_and_query, BodySink* sink,
                                 const Outgoing& outgoing);

  HttpEndpoint m_conn;
  Env& m_env;
  std::mutex m_mutex;  // with m_cv: the backoff wait, which cancel() ends
  std::condition_variable m_cv;
  std::atomic<bool> m_cancelled{false};  // polled by the exchange in flight
  std::atomic<std::uint64_t> m_retries{0};
};

}  // namespace kci
