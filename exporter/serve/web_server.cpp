#include "exporter/serve/web_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <list>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "exporter/config/tls_context.hpp"
#include "exporter/config/web_config.hpp"
#include "exporter/serve/auth_queue.hpp"
#include "exporter/serve/basic_auth.hpp"
#include "exporter/serve/http_request_parser.hpp"
#include "exporter/serve/http_router.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/result.hpp"

namespace kci {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// The connection-independent parts of serving: shared by every session, replaced on reload.
struct Settings {
  std::shared_ptr<asio::ssl::context> tls;  // null: plain HTTP
  std::shared_ptr<BasicAuth> auth;
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
};

std::shared_ptr<Settings> make_settings(const WebConfig& web) {
  check_web_config(web);  // what check-config runs too (config/web_config.hpp)
  auto s = std::make_shared<Settings>();
  if (web.tls) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    std::string error;
    if (!configure_tls(*ctx->native_handle(), *web.tls, error))
      throw ConfigError("web.config.file: " + (error.empty() ? "TLS setup failed" : error));
    s->tls = std::move(ctx);
  }
  s->auth = std::make_shared<BasicAuth>(web.basic_auth_users);
  for (const auto& [k, v] : web.headers) s->headers.emplace_back(k, v);
  return s;
}

// The client host a connection comes from, as AuthQueue's source: the IPv4 address (also when
// it arrives IPv4-mapped on an IPv6 socket), or the /64 of an IPv6 address (one host commonly
// owns a whole /64, so per-address turns would let it take as many as it likes).
std::string source_of(const tcp::socket& socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "?";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  if (address.is_v4()) return address.to_string();
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

AuthQueueLimits auth_queue_limits(const WebServerLimits& l) {
  AuthQueueLimits q;
  q.workers = l.auth_workers;
  q.reserved_workers = l.auth_reserved_workers;
  q.max_queued = l.max_pending_auth;
  q.max_queued_per_source = l.max_pending_auth_per_source;
  return q;
}

}  // namespace

// ---- the shared state of the server (event-loop thread unless noted) ----

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
  bool waiting_for_request = true;
  Clock::time_point since = Clock::now();  // start of the current state
};

struct WebServer::Impl {
  Impl(std::string a, LandingPageOptions o, const MetricsPublisher& p, SelfMetrics* m,
       WebServerLimits l)
      : listen_address(std::move(a)),
        landing_page(std::move(o)),
        publisher(p),
        metrics(m),
        limits(l),
        acceptor(io),
        retry_timer(io),
        auth_queue(auth_queue_limits(l)) {}

  const std::string listen_address;
  const LandingPageOptions landing_page;
  const MetricsPublisher& publisher;
  SelfMetrics* metrics;
  WebServerLimits limits;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  // After `io`, so destroyed first: its workers post their answers to `io`.
  AuthQueue auth_queue;
  std::mutex settings_mutex;  // guards `settings` (reload() runs on another thread)
  std::shared_ptr<Settings> settings;
  std::list<std::weak_ptr<SessionBase>> sessions;
  std::string bind_error;
  int port = 0;

  std::shared_ptr<Settings> current_settings() {
    std::lock_guard lock(settings_mutex);
    return settings;
  }
  void accept();
  void on_accept(tcp::socket socket);
  void make_room();
  void count(std::string_view handler, int status) {
    if (metrics) metrics->record_http_request(handler, status);
  }
};

namespace {

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(WebServer::Impl& server, std::shared_ptr<Settings> settings, Stream&& stream)
      : m_server(server),
        m_settings(std::move(settings)),
        m_stream(std::move(stream)),
        m_buffer(server.limits.max_header_bytes + 4096),
        m_source(source_of(lowest().socket())) {}

  void start() {
    lowest().expires_after(m_server.limits.first_request_timeout);
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      m_stream.async_handshake(asio::ssl::stream_base::server,
                               [self = this->shared_from_this()](beast::error_code ec) {
                                 if (ec) return self->close();
                                 self->read_request();
                               });
    } else {
      read_request();
    }
  }

  void close() override {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(m_stream); }

  void read_request() {
    waiting_for_request = true;
    since = Clock::now();
    m_parser.emplace();
    configure_request_parser(*m_parser, m_server.limits);
    // The deadline of the first request was set before the TLS handshake and covers both.
    if (m_requests > 0) lowest().expires_after(m_server.limits.keep_alive_timeout);
    http::async_read(m_stream, m_buffer, *m_parser,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    waiting_for_request = false;
    since = Clock::now();
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated)
      return close();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
      return reject(431, "request headers too large\n");
    if (ec) return reject(400, "bad request\n");
    const auto& req = m_parser->get();
    if (auto status = refuse_status(req, m_server.limits))
      return reject(*status, "too many request header fields\n");
    ++m_requests;
    m_request.emplace(req);
    m_keep_alive =
        m_request->keep_alive && m_requests < m_server.limits.max_requests_per_connection;
    const auto& auth = m_settings->auth;
    if (!auth->enabled() || !needs_auth(path_of(m_request->target))) return respond(true);
    // bcrypt costs milliseconds of CPU: never on the event loop. The queue answers at once
    // from its caches or when it is full, else later from a worker thread.
    auto verdict = m_server.auth_queue.submit(
        auth, m_source, m_request->authorization, [self = this->shared_from_this()](AuthVerdict v) {
          asio::post(self->m_server.io, [self, v] { self->on_auth(v); });
        });
    if (verdict) on_auth(*verdict);
  }

  void on_auth(AuthVerdict verdict) {
    switch (verdict) {
      case AuthVerdict::allowed:
        return respond(true);
      case AuthVerdict::denied:
        return respond(false);
      case AuthVerdict::busy:
        if (m_server.metrics) m_server.metrics->record_auth_refused();
        return reject(503, "too many authentication checks in progress\n", "1");
      case AuthVerdict::stopped:
        return close();
    }
  }

  void respond(bool authorized) {
    SelfMetrics* metrics = m_server.metrics;
    m_reply =
        route(m_request->view(authorized), m_server.publisher.current(), m_server.landing_page,
              [metrics] { return metrics ? metrics->render_live() : std::string(); });
    write_reply();
  }

  void reject(int status, std::string body, const char* retry_after = nullptr) {
    m_keep_alive = false;
    m_reply = HttpReply{};
    m_reply.status = status;
    if (retry_after) m_reply.headers.emplace_back("Retry-After", retry_after);
    m_reply.content_type = "text/plain; charset=utf-8";
    m_reply.owned_body = std::move(body);
    write_reply();
  }

  void write_reply() {
    const auto body = m_reply.body();
    std::size_t length = 0;
    for (auto p : body) length += p.size();
    m_head = "HTTP/1.1 " + std::to_string(m_reply.status) + " " + reason_phrase(m_reply.status) +
             "\r\nContent-Type: " + m_reply.content_type +
             "\r\nContent-Length: " + std::to_string(length) + "\r\n";
    for (const auto& [k, v] : m_reply.headers) m_head += k + ": " + v + "\r\n";
    for (const auto& [k, v] : m_settings->headers) m_head += k + ": " + v + "\r\n";
    if (!m_keep_alive) m_head += "Connection: close\r\n";
    m_head += "\r\n";
    m_buffers.clear();
    m_buffers.emplace_back(m_head.data(), m_head.size());
    if (!m_reply.head)
      for (auto p : body)
        if (!p.empty()) m_buffers.emplace_back(p.data(), p.size());
    since = Clock::now();
    lowest().expires_after(m_server.limits.write_timeout);
    asio::async_write(m_stream, m_buffers,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_write(ec);
                      });
  }

  void on_write(beast::error_code ec) {
    m_server.count(m_reply.handler, m_reply.status);
    m_reply = HttpReply{};  // releases the published snapshot at once
    m_buffers.clear();
    if (ec || !m_keep_alive) return finish();
    read_request();
  }

  // Closes after the last response: TLS close_notify (bounded), then the socket.
  void finish() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      lowest().expires_after(std::chrono::seconds(1));
      m_stream.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      close();
    }
  }

  WebServer::Impl& m_server;
  std::shared_ptr<Settings> m_settings;
  Stream m_stream;
  beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::empty_body>> m_parser;
  std::optional<RequestStrings> m_request;
  bool m_keep_alive = false;
  unsigned m_requests = 0;
  HttpReply m_reply;
  std::string m_head;
  std::vector<asio::const_buffer> m_buffers;
  std::string m_source;  // the client host, as AuthQueue's source (source_of)
};

}  // namespace

void WebServer::Impl::accept() {
  acceptor.async_accept(io, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // EMFILE and friends: say so, then try again shortly instead of spinning.
      log::warn("accept failed", {{"error", ec.message()}});
      retry_timer.expires_after(std::chrono::milliseconds(100));
      retry_timer.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    on_accept(std::move(socket));
    accept();
  });
}

void WebServer::Impl::make_room() {
  sessions.remove_if([](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
  if (sessions.size() < limits.max_connections) return;
  // The oldest connection that waits for a request, else the oldest of all.
  std::shared_ptr<SessionBase> victim;
  for (const auto& w : sessions) {
    auto s = w.lock();
    if (!s) continue;
    if (!victim || (s->waiting_for_request && !victim->waiting_for_request) ||
        (s->waiting_for_request == victim->waiting_for_request && s->since < victim->since))
      victim = s;
  }
  if (victim) victim->close();
  sessions.remove_if([&](const std::weak_ptr<SessionBase>& w) {
    auto s = w.lock();
    return !s || s == victim;
  });
}

void WebServer::Impl::on_accept(tcp::socket socket) {
  make_room();
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto s = current_settings();
  if (s->tls) {
    auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        *this, s,
        beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *s->tls));
    sessions.push_back(session);
    session->start();
  } else {
    auto session = std::make_shared<Session<beast::tcp_stream>>(
        *this, s, beast::tcp_stream(std::move(socket)));
    sessions.push_back(session);
    session->start();
  }
}

WebServer::WebServer(std::string listen_address, LandingPageOptions landing_page,
                     const MetricsPublisher& publisher, const WebConfig& web, SelfMetrics* metrics,
                     WebServerLimits limits)
    : m_impl(std::make_unique<Impl>(std::move(listen_address), std::move(landing_page), publisher,
                                    metrics, limits)) {
  m_impl->settings = make_settings(web);
}

// Impl's AuthQueue joins its workers, each at most finishing the check it is running.
WebServer::~WebServer() { stop(); }

bool WebServer::bind() {
  const auto& addr = m_impl->listen_address;
  const auto colon = addr.rfind(':');
  std::string host = colon == std::string::npos ? "" : addr.substr(0, colon);
  const std::string port = colon == std::string::npos ? addr : addr.substr(colon + 1);
  if (host.empty()) host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  tcp::resolver resolver(m_impl->io);
  auto endpoints =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  if (!ec) {
    const tcp::endpoint endpoint = *endpoints.begin();
    auto& a = m_impl->acceptor;
    a.open(endpoint.protocol(), ec);
    // SO_REUSEADDR lets a restart bind past TIME_WAIT; on Linux it never lets two sockets
    // listen on one port (SO_REUSEPORT would, and is not set).
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) m_impl->port = a.local_endpoint(ec).port();
  }
  if (ec) {
    m_impl->bind_error = "web.listen-address: cannot listen on " + addr + ": " + ec.message();
    log::error("cannot listen", {{"address", addr}, {"error", ec.message()}});
    return false;
  }
  log::info("listening", {{"address", host + ":" + std::to_string(m_impl->port)},
                          {"tls", m_impl->settings->tls ? "true" : "false"}});
  return true;
}

const std::string& WebServer::bind_error() const { return m_impl->bind_error; }

void WebServer::serve() {
  m_impl->accept();
  m_impl->io.run();
}

void WebServer::stop() {
  m_impl->auth_queue.stop();  // queued bcrypt checks are dropped, never drained
  asio::post(m_impl->io, [impl = m_impl.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry_timer.cancel();
    for (const auto& w : impl->sessions)
      if (auto s = w.lock()) s->close();
    impl->sessions.clear();
    impl->io.stop();
  });
}

void WebServer::reload(const WebConfig& web) {
  auto next = make_settings(web);  // throws ConfigError: the old settings stay
  std::lock_guard lock(m_impl->settings_mutex);
  m_impl->settings = std::move(next);
}

int WebServer::port() const { return m_impl->port; }

}  // namespace kci
