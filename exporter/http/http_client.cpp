#include "exporter/http/http_client.hpp"

#include <optional>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <thread>

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

bool retryable(const Failure& f) {
  return f.reason == FailureReason::timeout || f.reason == FailureReason::connect ||
         f.is_server_error();
}

}  // namespace

HttpClient::HttpClient(HttpEndpoint endpoint, Env& env) : m_conn(std::move(endpoint)), m_env(env) {
  auto scheme_end = m_conn.url.find("://");
  auto path_start = m_conn.url.find('/', scheme_end + 3);
  m_scheme_host_port = m_conn.url.substr(0, path_start);
  if (path_start != std::string::npos) m_base_path = m_conn.url.substr(path_start);
  while (!m_base_path.empty() && m_base_path.back() == '/') m_base_path.pop_back();
}

HttpClient::~HttpClient() = default;

void HttpClient::cancel() {
  std::lock_guard lock(m_mutex);
  m_cancelled = true;
  if (m_in_flight) m_in_flight->stop();
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
    if (m_env.wait_for(m_cv, lock, backoff, [&] { return m_cancelled; })) return result.failure();
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
    if (m_env.wait_for(m_cv, lock, backoff, [&] { return m_cancelled; })) return result;
    m_retries.fetch_add(1, std::memory_order_relaxed);
  }
}

Expected<HttpResponse> HttpClient::send(std::string_view method, const std::string& path_and_query,
                                        const std::string& body, std::string_view content_type) {
  return attempt(path_and_query, nullptr, Outgoing{method, &body, content_type});
}

Expected<HttpResponse> HttpClient::attempt(const std::string& path_and_query, BodySink* sink,
                                           const Outgoing& outgoing) {
  httplib::Client client(m_scheme_host_port);
  if (!client.is_valid())
    return Failure{FailureReason::connect, "invalid URL " + redact_url(m_conn.url)};
  auto connect_s = m_conn.connect_timeout.count() / 1000;
  auto connect_us = (m_conn.connect_timeout.count() % 1000) * 1000;
  client.set_connection_timeout(connect_s, connect_us);
  // The wait for one read: the idle timeout when there is one (cpp-httplib's read timeout is
  // per recv(), so an answer that keeps arriving never trips it), else the whole deadline.
  const auto per_read =
      m_conn.idle_timeout.count() > 0 ? m_conn.idle_timeout : m_conn.request_timeout;
  client.set_read_timeout(per_read.count() / 1000, (per_read.count() % 1000) * 1000);
  auto req_s = m_conn.request_timeout.count() / 1000;
  auto req_us = (m_conn.request_timeout.count() % 1000) * 1000;
  client.set_write_timeout(req_s, req_us);
  client.set_keep_alive(false);
  client.set_follow_location(false);  // a redirect is reported, never followed (no loops)
  // gzip is inflated here, as it arrives, with ISA-L (util/deflate_stream.hpp); gzip is the only
  // coding asked for (Accept-Encoding below), so any other is refused.
  client.set_decompress(false);
  if (!m_conn.ca_file.empty()) client.set_ca_cert_path(m_conn.ca_file);
  client.enable_server_certificate_verification(!m_conn.insecure_skip_verify);

  httplib::Headers headers{{"Accept", "application/json"}, {"Accept-Encoding", "gzip"}};
  if (!m_conn.bearer_token_file.empty()) {
    std::string error;
    std::string token = read_token_file("bearer token file", m_conn.bearer_token_file, error);
    if (!error.empty()) return Failure{FailureReason::connect, error};
    headers.emplace("Authorization", "Bearer " + token);
  } else if (!m_conn.bearer_token.empty()) {
    headers.emplace("Authorization", "Bearer " + m_conn.bearer_token);
  }
  // Basic auth and extra headers are re-read per request too (a rotated Secret); a file that
  // turned bad since start-up fails this request with the file's one-line error (no values).
  try {
    if (!m_conn.basic_auth_username.empty())
      headers.emplace("Authorization",
                      basic_authorization(m_conn.basic_auth_username,
                                          read_password_file(m_conn.basic_auth_password_file)));
    if (!m_conn.headers_file.empty()) {
      const bool authorization_taken =
          !m_conn.bearer_token_file.empty() || !m_conn.basic_auth_username.empty();
      for (auto& h : read_headers_file(m_conn.headers_file, authorization_taken))
        headers.emplace(std::move(h.name), std::move(h.value));
    }
  } catch (const ConfigError& e) {
    return Failure{FailureReason::connect, e.what()};
  }

  HttpResponse response;
  std::uint64_t received = 0;  // decompressed body bytes
  bool sink_stopped = false;
  bool too_large = false;
  std::string bad_encoding;
  std::optional<GzipInflater> inflater;  // Content-Encoding: gzip
  std::string bad_gzip;
  const std::uint64_t cap = m_conn.max_response_bytes;
  const auto deadline = m_env.monotonic_now() + m_conn.request_timeout;
  bool deadline_hit = false;
  auto last_read = m_env.monotonic_now();  // of body bytes, for the idle message

  {
    std::lock_guard lock(m_mutex);
    if (m_cancelled) return Failure{FailureReason::cancelled, "cancelled (shutting down)"};
    m_in_flight = &client;
  }
  // A watchdog enforces the whole-request deadline, whatever phase is slow (a slow-drip body
  // or headers never finish otherwise: each recv() succeeds well inside the read timeout).
  std::thread watchdog([&] {
    std::unique_lock lock(m_mutex);
    if (!m_env.wait_until(m_cv, lock, deadline,
                          [&] { return m_in_flight == nullptr || m_cancelled; })) {
      deadline_hit = true;
      client.stop();
    }
  });

  httplib::Request request;
  request.method = std::string(outgoing.method);
  request.path = m_base_path + path_and_query;
  request.headers = std::move(headers);
  if (outgoing.body != nullptr && !outgoing.body->empty()) {
    request.body = *outgoing.body;
    request.set_header("Content-Type", std::string(outgoing.content_type));
  }
  request.response_handler = [&](const httplib::Response& r) {
    response.status = r.status;
    response.content_type = r.get_header_value("Content-Type");
    const auto& encoding = r.get_header_value("Content-Encoding");
    if (encoding == "gzip" || encoding == "x-gzip") {
      inflater.emplace();
    } else if (!encoding.empty() && encoding != "identity") {
      bad_encoding = encoding;
      return false;
    }
    if (r.has_header("Content-Length")) {
      auto len = std::strtoull(r.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (len > cap) {
        too_large = true;
        return false;
      }
      // Room for a body that is kept whole; an error answer keeps only its first 64 KiB.
      if (!sink && r.status >= 200 && r.status < 300) response.body.reserve(len + k_body_padding);
    }
    if (r.status >= 300 && r.status < 400)
      response.body = "redirect to " + r.get_header_value("Location") + " not followed";
    return true;
  };
  // The decoded body, piece by piece: into the sink (2xx) or into response.body.
  const auto deliver = [&](std::string_view piece) {
    const char* data = piece.data();
    const std::size_t len = piece.size();
    received += len;
    if (received > cap) {
      too_large = true;
      return false;
    }
    if (sink && response.status >= 200 && response.status < 300) {
      if (!sink->write(std::string_view(data, len))) {
        sink_stopped = true;
        return false;
      }
      return true;
    }
    // An error answer keeps its first 64 KiB: enough for the message.
    const bool kept_whole = !sink && response.status >= 200 && response.status < 300;
    if (!kept_whole && response.body.size() >= k_error_body_kept) return true;
    if (response.body.capacity() < response.body.size() + len + k_body_padding)
      response.body.reserve(
          std::max(response.body.capacity() * 2, response.body.size() + len + k_body_padding));
    response.body.append(data, len);
    return true;
  };
  request.content_receiver = [&](const char* data, std::size_t len, std::uint64_t, std::uint64_t) {
    last_read = m_env.monotonic_now();
    if (!inflater) return deliver(std::string_view(data, len));
    if (inflater->write(std::string_view(data, len), deliver)) return true;
    if (!inflater->error().empty()) bad_gzip = inflater->error();
    return false;
  };
  auto res = client.send(request);
  if (res && inflater && !inflater->complete() && bad_gzip.empty())
    bad_gzip = "gzip body cut short (the stream did not end)";

  bool cancelled;
  {
    std::lock_guard lock(m_mutex);
    m_in_flight = nullptr;
    cancelled = m_cancelled;
    m_cv.notify_all();
  }
  watchdog.join();

  if (sink_stopped) return sink_refused();
  if (too_large)
    return Failure{FailureReason::too_large,
                   "response larger than " + m_conn.size_setting + "=" + std::to_string(cap)};
  if (!bad_gzip.empty())
    return Failure{FailureReason::parse, bad_gzip + " (" + redact_url(m_conn.url) + ")"};
  if (!bad_encoding.empty())
    return Failure{FailureReason::parse,
                   "unsupported Content-Encoding \"" + one_line(bad_encoding, 40) + "\""};
  if (!res) {
    auto err = res.error();
    if (deadline_hit)
      return Failure{FailureReason::timeout, "no complete response within " +
                                                 m_conn.request_timeout_name + "=" +
                                                 format_duration(m_conn.request_timeout)};
    // A read that waited the whole idle timeout (the clock is generous by a tenth: the recv()
    // timed out, the connection did not break).
    if (err == httplib::Error::Read && m_conn.idle_timeout.count() > 0 &&
        m_env.monotonic_now() - last_read >= m_conn.idle_timeout * 9 / 10)
      return Failure{
          FailureReason::timeout,
          "Kubecost sent nothing for " + format_duration(m_conn.idle_timeout) + " (" +
              (m_conn.idle_timeout_name.empty() ? "the read timeout" : m_conn.idle_timeout_name) +
              ", the longest wait between two reads) (" + redact_url(m_conn.url) + ")"};
    if (cancelled) return Failure{FailureReason::cancelled, "cancelled (shutting down)"};
    std::string what = httplib::to_string(err);
    if (err == httplib::Error::Read && response.status != 0)
      what = "body could not be read or decoded (Content-Encoding?)";
    if (err == httplib::Error::SSLServerVerification || err == httplib::Error::SSLConnection ||
        err == httplib::Error::SSLLoadingCerts)
      what = "TLS: " + what;
    FailureReason reason = (err == httplib::Error::ConnectionTimeout) ? FailureReason::timeout
                           : (err == httplib::Error::Read && response.status != 0)
                               ? FailureReason::parse
                               : FailureReason::connect;
    if (err == httplib::Error::Read && response.status == 0) reason = FailureReason::timeout;
    return Failure{reason, what + " (" + redact_url(m_conn.url) + ")"};
  }
  if (response.status < 200 || response.status >= 300)
    return Failure{FailureReason::http_status,
                   "HTTP " + std::to_string(response.status) + ": " + one_line(response.body, 160),
                   response.status};
  ensure_padding(response.body);
  return response;
}

}  // namespace kci
