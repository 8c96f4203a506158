#pragma once
// One HTTP/1.1 request and its answer with a peer we do not trust, on Boost.Asio/Beast (the
// stack the web server uses): the one transport under every client the exporter has (Kubecost
// and OpenCost, the Kubernetes API, S3/STS/Secrets Manager, the Pod Identity agent, the
// Pushgateway, doctor).
//
// What the peer sends is bounded by the ResponseDecoder (response_decoder.hpp) before it is
// kept. Everything is bounded in time: the connect timeout (TCP and TLS handshake), the idle
// timeout (the longest silence while the answer is awaited or read), the whole-exchange
// deadline on the Env's monotonic clock, and a cancellation predicate; all are looked at every
// 10 ms while the exchange runs on its own io_context, on the calling thread (no watchdog
// thread). The body is handed to a reader as it arrives, de-chunked and still content-coded. No
// retries, no redirects, no keep-alive: the callers decide those. No byte the peer sent is ever
// part of an outcome's detail: it holds our own words and the system's error texts only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/http/response_decoder.hpp"
#include "exporter/util/env.hpp"

namespace kci {

// Where a peer is. Built by parse_peer_url.
struct PeerUrl {
  bool tls = false;
  std::string host;       // a name or an address (IPv6 without its brackets)
  std::string port;       // "80" or "443" unless given
  std::string authority;  // host[:port] as written (IPv6 bracketed): the Host header
  std::string base_path;  // the path after the authority, "" when none (no trailing '/')
  std::string origin;     // scheme://authority, without userinfo: for messages
};

// Parses http(s)://[userinfo@]host[:port][/path]; userinfo is dropped (never sent, never
// printed), a query or fragment after the path is dropped too. nullopt for anything else,
// including an empty host or a port that is not 1..65535.
std::optional<PeerUrl> parse_peer_url(std::string_view url);

struct OutgoingRequest {
  std::string_view method = "GET";
  std::string_view target = "/";        // origin-form: path and query, already encoded
  const HeaderList* headers = nullptr;  // Host (from the URL) and User-Agent added unless given
  std::string_view body;                // sent with Content-Length when not empty, or for PUT/POST
};

struct ExchangeBounds {
  std::chrono::milliseconds connect_timeout{5'000};  // TCP connect and TLS handshake, real time
  // The longest wait for the next bytes of the answer (the first included), real time; 0: only
  // the deadline.
  std::chrono::milliseconds idle_timeout{0};
  Env::MonoTime deadline = Env::MonoTime::max();  // the whole exchange, on the Env's clock
  ResponseLimits limits;                          // what the answer may take
  std::string ca_file;                            // "" = the system's trust store
  bool insecure_skip_verify = false;
};

// Runs one exchange to its end on the calling thread. `cancelled` (may be empty) is polled
// from this thread. Returns once every socket is closed.
ExchangeOutcome exchange(const PeerUrl& peer, const OutgoingRequest& request,
                         const ExchangeBounds& bounds, ResponseReader& reader,
                         const std::function<bool()>& cancelled, Env& env);

}  // namespace kci
