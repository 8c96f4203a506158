#include "exporter/http/http_exchange.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <limits>
#include <memory>

#include "exporter/http/name_lookup.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How often the bounds (deadline, cancellation, connect and idle timeouts) are looked at.
constexpr std::chrono::milliseconds k_slice{10};
// The longest header line we send (Beast refuses 64 KiB; no server takes near that).
constexpr std::size_t k_max_header_bytes = 16 * 1024;
// The most bytes taken from the socket at once.
constexpr std::size_t k_read_size = 64 * 1024;

bool is_sendable_value(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

class Exchange {
 public:
  Exchange(const PeerUrl& peer, const OutgoingRequest& request, const ExchangeBounds& bounds,
           ResponseReader& reader, const std::function<bool()>& cancelled, Env& env)
      : m_peer(peer),
        m_request(request),
        m_bounds(bounds),
        m_cancelled(cancelled),
        m_env(env),
        m_decoder(bounds.limits, request.method == "HEAD", reader),
        m_input(std::make_unique<char[]>(k_read_size)) {}

  ExchangeOutcome run() {
    m_connect_started = Clock::now();
    if (!prepare_request()) return m_outcome;
    if (m_peer.tls && !prepare_tls()) return m_outcome;
    check_bounds();  // cancelled or past the deadline: nothing is started
    if (!m_finished) start();
    for (;;) {
      if (m_lookup) {
        if (m_finished) break;  // the lookup is abandoned: its thread ends on its own
        await_lookup();
      } else {
        if (m_io.stopped()) break;
        run_slice();
      }
      if (!m_finished) check_bounds();
    }
    if (!m_finished) finish(ExchangeError::lost, "the exchange ended without an answer");
    return m_outcome;
  }

 private:
  enum class Phase { connecting, sending, awaiting };

  tcp::socket& socket() { return m_tls ? m_tls->next_layer() : m_plain; }

  bool prepare_request() {
    m_message.version(11);
    m_message.method_string(beast::string_view(m_request.method.data(), m_request.method.size()));
    m_message.target(beast::string_view(m_request.target.data(), m_request.target.size()));
    bool has_host = false, has_agent = false;
    if (m_request.headers) {
      for (const auto& [name, value] : *m_request.headers) {
        if (name.size() + value.size() > k_max_header_bytes) {
          finish(ExchangeError::bad_request, "the " + name + " header is longer than 16 KiB");
          return false;
        }
        if (!is_http_token(name) || !is_sendable_value(value)) {
          finish(ExchangeError::bad_request,
                 is_http_token(name)
                     ? "the " + name + " header value holds a CR, LF or NUL character"
                     : "a header name is not an HTTP token");
          return false;
        }
        has_host = has_host || iequals_ascii(name, "host");
        has_agent = has_agent || iequals_ascii(name, "user-agent");
        m_message.insert(beast::string_view(name.data(), name.size()),
                         beast::string_view(value.data(), value.size()));
      }
    }
    if (!has_host) m_message.set(http::field::host, m_peer.authority);
    if (!has_agent)
      m_message.set(http::field::user_agent, "kubecost-integration/" EXPORTER_VERSION);
    m_message.set(http::field::connection, "close");
    if (!m_request.body.empty() || m_request.method == "PUT" || m_request.method == "POST")
      m_message.content_length(m_request.body.size());
    m_message.body().data = const_cast<char*>(m_request.body.data());
    m_message.body().size = m_request.body.size();
    m_message.body().more = false;

    return true;
  }

  bool prepare_tls() {
    m_tls_context.emplace(asio::ssl::context::tls_client);
    // TLS 1.2 at least, and no renegotiation (a peer renegotiating in a loop burns CPU while
    // no application byte arrives).
    SSL_CTX_set_min_proto_version(m_tls_context->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_options(m_tls_context->native_handle(), SSL_OP_NO_RENEGOTIATION);
    beast::error_code ec;
    if (m_bounds.insecure_skip_verify) {
      m_tls_context->set_verify_mode(asio::ssl::verify_none);
    } else {
      m_tls_context->set_verify_mode(asio::ssl::verify_peer);
      if (!m_bounds.ca_file.empty())
        m_tls_context->load_verify_file(m_bounds.ca_file, ec);
      else
        m_tls_context->set_default_verify_paths(ec);
      if (ec) {
        finish(ExchangeError::tls, "TLS: the CA file " + m_bounds.ca_file + " could not be loaded");
        return false;
      }
    }
    m_tls.emplace(m_io, *m_tls_context);
    if (!m_bounds.insecure_skip_verify)
      m_tls->set_verify_callback(asio::ssl::host_name_verification(m_peer.host));
    beast::error_code not_an_address;
    (void)asio::ip::make_address(m_peer.host, not_an_address);
    // SNI carries a name, never an address (RFC 6066 section 3).
    if (not_an_address) SSL_set_tlsext_host_name(m_tls->native_handle(), m_peer.host.c_str());
    return true;
  }

  void start() {
    beast::error_code not_an_address;
    const auto address = asio::ip::make_address(m_peer.host, not_an_address);
    if (not_an_address) {
      m_lookup = NameLookup::start(m_peer.host, m_peer.port);
      return;
    }
    m_endpoints.emplace_back(address, static_cast<unsigned short>(std::stoi(m_peer.port)));
    connect();
  }

  // Waits one slice for the name; connects, or finishes, once it is there.
  void await_lookup() {
    if (!m_lookup->wait_for(k_slice)) return;
    const auto lookup = std::move(m_lookup);
    if (!lookup->error().empty())
      return finish(ExchangeError::resolve,
                    "could not resolve " + m_peer.host + ": " + lookup->error());
    m_endpoints = lookup->endpoints();
    connect();
  }

  // Runs the handlers that are ready, for at most one slice. A handler that throws (a reader's
  // or the allocator's exception) ends the exchange; the others still drain.
  void run_slice() {
    try {
      m_io.run_for(k_slice);
    } catch (const std::exception& e) {
      finish(ExchangeError::lost, std::string("the exchange failed: ") + e.what());
    }
  }

  void connect() {
    asio::async_connect(socket(), m_endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
      if (m_finished) return;
      if (ec) return finish(ExchangeError::connect, ec.message());
      if (!m_tls) return send(m_plain);
      m_tls->async_handshake(asio::ssl::stream_base::client, [this](beast::error_code e) {
        if (m_finished) return;
        if (e) return finish(ExchangeError::tls, "TLS handshake failed: " + e.message());
        send(*m_tls);
      });
    });
  }

  template <class Stream>
  void send(Stream& stream) {
    m_phase = Phase::sending;
    m_outcome.request_sent = true;
    http::async_write(stream, m_message, [this, &stream](beast::error_code ec, std::size_t) {
      if (m_finished) return;
      if (ec)
        return finish(ExchangeError::lost,
                      "the connection broke while the request was sent: " + ec.message());
      m_phase = Phase::awaiting;
      m_last_bytes_at = Clock::now();
      read(stream);
    });
  }

  template <class Stream>
  void read(Stream& stream) {
    stream.async_read_some(
        asio::buffer(m_input.get(), k_read_size),
        [this, &stream](beast::error_code ec, std::size_t n) {
          if (m_finished) return;
          if (n > 0) {
            m_last_bytes_at = Clock::now();
            if (conclude(m_decoder.feed(std::string_view(m_input.get(), n)))) return;
          }
          if (ec == asio::error::eof) {
            conclude(m_decoder.feed_eof());
            return;
          }
          // TLS closed without close_notify: an answer that needed the close to end (no
          // Content-Length, not chunked) may have been cut by anyone on the path.
          if (ec == asio::ssl::error::stream_truncated)
            return finish(ExchangeError::lost,
                          "the TLS connection closed without close_notify before the answer "
                          "was complete");
          if (ec)
            return finish(ExchangeError::lost,
                          "the connection broke while the answer was read: " + ec.message());
          read(stream);
        });
  }

  // True when the decoder is done or failed (the exchange is then finished).
  bool conclude(ResponseDecoder::State state) {
    if (state == ResponseDecoder::State::more) return false;
    if (state == ResponseDecoder::State::done) {
      finish(ExchangeError::none);
    } else {
      finish(m_decoder.outcome().error, m_decoder.outcome().detail);
    }
    return true;
  }

  void check_bounds() {
    if (m_cancelled && m_cancelled()) return finish(ExchangeError::cancelled, "cancelled");
    if (m_env.monotonic_now() >= m_bounds.deadline)
      return finish(ExchangeError::deadline, "the deadline passed");
    const auto now = Clock::now();
    if (m_phase == Phase::connecting && now - m_connect_started >= m_bounds.connect_timeout)
      return finish(ExchangeError::connect_timeout, "no connection within the connect timeout");
    if (m_phase == Phase::awaiting && m_bounds.idle_timeout.count() > 0 &&
        now - m_last_bytes_at >= m_bounds.idle_timeout)
      finish(ExchangeError::idle_timeout, "the peer sent nothing within the idle timeout");
  }

  // Records the first outcome and closes everything: handlers still pending complete with
  // operation_aborted and start nothing new.
  void finish(ExchangeError error, std::string detail = {}) {
    if (m_finished) return;
    m_finished = true;
    m_outcome.error = error;
    m_outcome.detail = std::move(detail);
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  const PeerUrl& m_peer;
  const OutgoingRequest& m_request;
  const ExchangeBounds& m_bounds;
  const std::function<bool()>& m_cancelled;
  Env& m_env;

  asio::io_context m_io{1};
  std::shared_ptr<NameLookup> m_lookup;  // while the host name is looked up
  tcp::socket m_plain{m_io};
  std::optional<asio::ssl::context> m_tls_context;
  std::optional<asio::ssl::stream<tcp::socket>> m_tls;
  std::vector<tcp::endpoint> m_endpoints;

  http::request<http::buffer_body> m_message;
  ResponseDecoder m_decoder;
  std::unique_ptr<char[]> m_input;

  Phase m_phase = Phase::connecting;
  Clock::time_point m_connect_started;
  Clock::time_point m_last_bytes_at;
  bool m_finished = false;
  ExchangeOutcome m_outcome;
};

}  // namespace

std::optional<PeerUrl> parse_peer_url(std::string_view url) {
  PeerUrl peer;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    peer.tls = true;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return std::nullopt;
  std::string_view host = authority, port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t\r\n\\") != std::string_view::npos)
    return std::nullopt;
  if (authority.size() > 255 + 8) return std::nullopt;
  if (!port.empty() || authority.back() == ':') {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
  }
  peer.host = std::string(host);
  peer.port = port.empty() ? (peer.tls ? "443" : "80") : std::string(port);
  peer.authority = std::string(authority);
  peer.base_path = std::string(path);
  peer.origin = (peer.tls ? "https://" : "http://") + peer.authority;
  return peer;
}

ExchangeOutcome exchange(const PeerUrl& peer, const OutgoingRequest& request,
                         const ExchangeBounds& bounds, ResponseReader& reader,
                         const std::function<bool()>& cancelled, Env& env) {
  Exchange exchange(peer, request, bounds, reader, cancelled, env);
  return exchange.run();
}

}  // namespace kci
