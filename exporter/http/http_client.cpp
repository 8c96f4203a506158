#include "exporter/http/http_client.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "exporter/http/http_exchange.hpp"

#include "exporter/http/request_credentials.hpp"
#include "exporter/util/deflate_stream.hpp"
#include "exporter/util/durations.hpp"
#include "exporter/util/file_reader.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

// The part of an error answer kept for its message; the rest is read and dropped.
constexpr std::size_t k_error_body_kept = 64 * 1024;
// Compressed bytes handed to the inflater at once, at least (but the last). The body arrives as
// the socket had it: a peer that compresses as it sends (Kubecost's nginx gzips into 4 KiB
// buffers) delivers a few KiB per read. Each inflate call costs ISA-L ~64 KiB of copying
// (util/deflate_stream.hpp); 128 KiB of a Kubecost answer (~9:1) fills most of its 1 MiB output.
constexpr std::size_t k_inflate_input = 128 * 1024;

bool retryable(const Failure& f) {
  return f.reason == FailureReason::timeout || f.reason == FailureReason::connect ||
         f.is_server_error();
}

}  // namespace

HttpClient::HttpClient(HttpEndpoint endpoint, Env& env) : m_conn(std::move(endpoint)), m_env(env) {}

HttpClient::~HttpClient() = default;

void HttpClient::cancel() {
  std::lock_guard lock(m_mutex);
  m_cancelled = true;
  m_cv.notify_all();
}

Expected<void> HttpClient::get(const std::string& path_and_query, BodySink& sink) {
  for (int attempt_no = 0;; ++attempt_no) {
    sink.begin();
    auto result = attempt(path_and_query, &sink, Outgoing{});
    if (result.ok()) return {};
    if (attempt_no >= m_conn.retries || !retryable(result.failure()) || !sink.can_restart())
      return result.failure();
    auto backoff = std::chrono::milliseconds(std::min(500 << attempt_no, 5000));
    log::warn("kubecost request failed, retrying", {{"reason", to_string(result.failure().reason)},
                                                    {"error", result.failure().message},
                                                    {"retry_in", format_duration(backoff)}});
    std::unique_lock lock(m_mutex);
    if (m_env.wait_for(m_cv, lock, backoff, [&] { return m_cancelled.load(); }))
      return result.failure();
    m_retries.fetch_add(1, std::memory_order_relaxed);
  }
}

Expected<HttpResponse> HttpClient::get(const std::string& path_and_query) {
  for (int attempt_no = 0;; ++attempt_no) {
    auto result = attempt(path_and_query, nullptr, Outgoing{});
    if (result.ok() || attempt_no >= m_conn.retries || !retryable(result.failure())) return result;
    auto backoff = std::chrono::milliseconds(std::min(500 << attempt_no, 5000));
    log::warn("kubecost request failed, retrying", {{"reason", to_string(result.failure().reason)},
                                                    {"error", result.failure().message},
                                                    {"retry_in", format_duration(backoff)}});
    std::unique_lock lock(m_mutex);
    if (m_env.wait_for(m_cv, lock, backoff, [&] { return m_cancelled.load(); })) return result;
    m_retries.fetch_add(1, std::memory_order_relaxed);
  }
}

Expected<HttpResponse> HttpClient::send(std::string_view method, const std::string& path_and_query,
                                        const std::string& body, std::string_view content_type) {
  return attempt(path_and_query, nullptr, Outgoing{method, &body, content_type});
}

namespace {

// Takes the answer for HttpClient: a 2xx body into the sink (or kept whole), gzip inflated as
// it arrives, the decoded size counted against the cap; an error answer keeps its first 64 KiB.
class ClientReader final : public ResponseReader {
 public:
  ClientReader(BodySink* sink, std::uint64_t cap, HttpResponse& response)
      : m_sink(sink), m_cap(cap), m_response(response) {}

  bool on_head(const ResponseHead& head) override {
    m_response.status = head.status;
    m_response.content_type = std::string(head.field("Content-Type"));
    const std::string_view encoding = head.field("Content-Encoding");
    // gzip is inflated here, as it arrives, with ISA-L (util/deflate_stream.hpp); gzip is the
    // only coding asked for (Accept-Encoding), so any other is refused. Codings are
    // case-insensitive (RFC 9110 section 8.4.1).
    if (iequals_ascii(encoding, "gzip") || iequals_ascii(encoding, "x-gzip")) {
      inflater.emplace();
    } else if (!encoding.empty() && !iequals_ascii(encoding, "identity")) {
      bad_encoding = true;
      return false;
    }
    if (head.content_length) {
      if (*head.content_length > m_cap) {
        too_large = true;
        return false;
      }
      // Room for a body that is kept whole; an error answer keeps only its first 64 KiB.
      if (!m_sink && !inflater && is_2xx())
        m_response.body.reserve(static_cast<std::size_t>(*head.content_length) + k_body_padding);
    }
    // Whole: the message redacts it before it is cut.
    if (head.status >= 300 && head.status < 400)
      m_response.body = "redirect to " + std::string(head.field("Location")) + " not followed";
    return true;
  }

  // gzip: the compressed pieces are gathered to k_inflate_input before they are inflated.
  bool on_body(std::string_view piece) override {
    if (!inflater) return deliver(piece);
    if (m_gathered.empty() && piece.size() >= k_inflate_input) return inflate(piece);
    m_gathered.append(piece);
    if (m_gathered.size() < k_inflate_input) return true;
    const bool ok = inflate(m_gathered);
    m_gathered.clear();
    return ok;
  }

  // The exchange ended with the whole body: inflates what is still gathered. False as on_body.
  bool end_body() {
    if (!inflater || m_gathered.empty()) return true;
    const bool ok = inflate(m_gathered);
    m_gathered.clear();
    return ok;
  }

  std::optional<GzipInflater> inflater;  // Content-Encoding: gzip
  bool sink_stopped = false;
  bool too_large = false;
  bool bad_encoding = false;
  std::string bad_gzip;

 private:
  bool is_2xx() const { return m_response.status >= 200 && m_response.status < 300; }

  bool inflate(std::string_view compressed) {
    const auto deliver_piece = [this](std::string_view out) { return deliver(out); };
    // A 2xx body goes to the sink: inflated straight into its buffer when it offers one.
    const auto room = [this] { return m_sink && is_2xx() ? m_sink->room() : std::span<char>(); };
    if (inflater->write(compressed, deliver_piece, room)) return true;
    if (!inflater->error().empty()) bad_gzip = inflater->error();
    return false;
  }

  // The decoded body, piece by piece: into the sink (2xx) or into response.body.
  bool deliver(std::string_view piece) {
    m_received += piece.size();
    if (m_received > m_cap) {
      too_large = true;
      return false;
    }
    if (m_sink && is_2xx()) {
      if (m_sink->write(piece)) return true;
      sink_stopped = true;
      return false;
    }
    auto& body = m_response.body;
    const bool kept_whole = !m_sink && is_2xx();
    if (!kept_whole && body.size() >= k_error_body_kept) return false;  // enough for a message
    if (body.capacity() < body.size() + piece.size() + k_body_padding)
      body.reserve(std::max(body.capacity() * 2, body.size() + piece.size() + k_body_padding));
    body.append(piece);
    return true;
  }

  BodySink* m_sink;
  std::uint64_t m_cap;
  HttpResponse& m_response;
  std::uint64_t m_received = 0;  // decoded body bytes
  std::string m_gathered;        // compressed bytes not inflated yet (< k_inflate_input)
};

// A headers-file value, and the parts a page may reflect alone (a cookie's value, a token after
// its scheme: split at ';', ',', '=' and spaces), as secrets to redact. Values and parts under
// 4 characters are left out: a tenant id like X-Scope-OrgID: 1 would withhold every excerpt.
void add_header_secrets(const std::string& value, std::vector<std::string>& secrets) {
  if (value.size() >= 4) secrets.push_back(value);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && std::string_view("; ,=").find(value[i]) == std::string_view::npos)
      continue;
    if (i - start >= 8 && i - start < value.size())
      secrets.push_back(value.substr(start, i - start));
    start = i + 1;
  }
}

}  // namespace

Expected<HttpResponse> HttpClient::attempt(const std::string& path_and_query, BodySink* sink,
                                           const Outgoing& outgoing) {
  const auto peer = parse_peer_url(m_conn.url);
  if (!peer) return Failure{FailureReason::connect, "invalid URL " + redact_url(m_conn.url)};
  if (m_cancelled.load()) return Failure{FailureReason::cancelled, "cancelled (shutting down)"};

  HeaderList headers{{"Accept", "application/json"}, {"Accept-Encoding", "gzip"}};
  // What this request sends that is secret: redacted from any answer a message quotes.
  std::vector<std::string> secrets;
  if (!m_conn.bearer_token_file.empty()) {
    std::string error;
    std::string token = read_token_file("bearer token file", m_conn.bearer_token_file, error);
    if (!error.empty()) return Failure{FailureReason::connect, error};
    secrets.push_back(token);
    headers.emplace_back("Authorization", "Bearer " + token);
  } else if (!m_conn.bearer_token.empty()) {
    secrets.push_back(m_conn.bearer_token);
    headers.emplace_back("Authorization", "Bearer " + m_conn.bearer_token);
  }
  // Basic auth and extra headers are re-read per request too (a rotated Secret); a file that
  // turned bad since start-up fails this request with the file's one-line error (no values).
  try {
    if (!m_conn.basic_auth_username.empty()) {
      std::string password = read_password_file(m_conn.basic_auth_password_file);
      std::string authorization = basic_authorization(m_conn.basic_auth_username, password);
      secrets.push_back(std::move(password));
      secrets.push_back(authorization.substr(authorization.find(' ') + 1));  // the base64
      headers.emplace_back("Authorization", std::move(authorization));
    }
    if (!m_conn.headers_file.empty()) {
      const bool authorization_taken =
          !m_conn.bearer_token_file.empty() || !m_conn.basic_auth_username.empty();
      for (auto& h : read_headers_file(m_conn.headers_file, authorization_taken)) {
        add_header_secrets(h.value, secrets);
        headers.emplace_back(std::move(h.name), std::move(h.value));
      }
    }
  } catch (const ConfigError& e) {
    return Failure{FailureReason::connect, e.what()};
  }
  const bool has_body = outgoing.body != nullptr && !outgoing.body->empty();
  if (has_body) headers.emplace_back("Content-Type", std::string(outgoing.content_type));

  const std::string target = peer->base_path + path_and_query;
  OutgoingRequest request;
  request.method = outgoing.method;
  request.target = target;
  request.headers = &headers;
  if (has_body) request.body = *outgoing.body;

  const std::uint64_t cap = m_conn.max_response_bytes;
  ExchangeBounds bounds;
  bounds.connect_timeout = m_conn.connect_timeout;
  bounds.idle_timeout = m_conn.idle_timeout;
  bounds.deadline = m_env.monotonic_now() + m_conn.request_timeout;
  // The cap counts decoded bytes; on the wire, gzip of incompressible bytes adds a little.
  bounds.limits.max_body_bytes = cap + cap / 64 + 64 * 1024;
  bounds.ca_file = m_conn.ca_file;
  bounds.insecure_skip_verify = m_conn.insecure_skip_verify;

  HttpResponse response;
  ClientReader reader(sink, cap, response);
  const std::function<bool()> cancelled = [this] { return m_cancelled.load(); };
  const ExchangeOutcome outcome = exchange(*peer, request, bounds, reader, cancelled, m_env);
  // A refusal here (sink, cap, bad gzip) is recorded in the reader, read below as any other.
  if (outcome.ok()) (void)reader.end_body();
  if (outcome.ok() && reader.inflater && reader.bad_gzip.empty() && !reader.inflater->complete())
    reader.bad_gzip = "gzip body cut short (the stream did not end)";

  const std::string where = " (" + redact_url(m_conn.url) + ")";
  if (reader.sink_stopped) return sink_refused();
  if (reader.too_large || outcome.error == ExchangeError::body_too_large)
    return Failure{FailureReason::too_large,
                   "response larger than " + m_conn.size_setting + "=" + std::to_string(cap)};
  if (!reader.bad_gzip.empty()) return Failure{FailureReason::parse, reader.bad_gzip + where};
  if (reader.bad_encoding)
    return Failure{FailureReason::parse,
                   "unsupported Content-Encoding (gzip is the one asked for)" + where};
  switch (outcome.error) {
    case ExchangeError::none:
    case ExchangeError::stopped:
    case ExchangeError::body_too_large:
      break;
    case ExchangeError::deadline:
      return Failure{.reason = FailureReason::timeout,
                     .message = "no complete response within " + m_conn.request_timeout_name + "=" +
                                format_duration(m_conn.request_timeout),
                     .timeout = TimeoutKind::deadline};
    case ExchangeError::idle_timeout:
      return Failure{
          .reason = FailureReason::timeout,
          .message =
              "Kubecost sent nothing for " + format_duration(m_conn.idle_timeout) + " (" +
              (m_conn.idle_timeout_name.empty() ? "the read timeout" : m_conn.idle_timeout_name) +
              ", the longest wait between two reads)" + where,
          .timeout = TimeoutKind::idle};
    case ExchangeError::cancelled:
      return Failure{FailureReason::cancelled, "cancelled (shutting down)"};
    case ExchangeError::connect_timeout:
      return Failure{
          .reason = FailureReason::timeout,
          .message = "no connection within " + format_duration(m_conn.connect_timeout) + where,
          .timeout = TimeoutKind::connect};
    case ExchangeError::head_too_large:
      return Failure{FailureReason::too_large, outcome.detail + where};
    case ExchangeError::malformed:
      return Failure{FailureReason::parse, outcome.detail + where};
    case ExchangeError::bad_request:
    case ExchangeError::resolve:
    case ExchangeError::connect:
    case ExchangeError::tls:
    case ExchangeError::lost:
      return Failure{FailureReason::connect, outcome.detail + where};
  }
  if (response.status < 200 || response.status >= 300)
    return Failure{FailureReason::http_status,
                   "HTTP " + std::to_string(response.status) + ": " +
                       one_line(redact_secrets(std::move(response.body), secrets), 160),
                   response.status};
  ensure_padding(response.body);
  return response;
}

}  // namespace kci
