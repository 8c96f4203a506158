#include "exporter/aws/aws_client.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include "exporter/util/durations.hpp"
#include "exporter/util/tcp_bytes.hpp"
#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

using std::chrono::milliseconds;

// How much the status line and headers of an AWS answer may add to its body (S3 sends well
// under 4 KiB of them).
constexpr std::uint64_t k_header_allowance = 1u << 20;
// How often the watchdog counts the bytes received; what a fast peer sends in one interval is
// the overshoot past the cap before the request is cut.
constexpr milliseconds k_watch_interval{10};

struct Url {
  std::string scheme_host_port;  // without userinfo
  std::string authority;         // host[:port], as signed and sent in Host
  std::string base_path;
};

std::optional<Url> parse_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const auto path_start = url.find_first_of("/?#", scheme_end + 3);
  std::string authority =
      url.substr(scheme_end + 3,
                 path_start == std::string::npos ? std::string::npos : path_start - scheme_end - 3);
  // Userinfo has no meaning to AWS or the Pod Identity agent: never sent, never printed.
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (authority.empty()) return std::nullopt;
  Url u{scheme + "://" + authority, authority,
        path_start == std::string::npos ? "" : url.substr(path_start)};
  return u;
}

void set_timeouts(httplib::Client& http, milliseconds remaining) {
  const auto ms = std::max<long long>(remaining.count(), 1);
  const auto connect = std::min<long long>(ms, 30'000);
  http.set_connection_timeout(static_cast<time_t>(connect / 1000),
                              static_cast<time_t>((connect % 1000) * 1000));
  http.set_read_timeout(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
  http.set_write_timeout(static_cast<time_t>(ms / 1000), static_cast<time_t>((ms % 1000) * 1000));
}

std::string mib(std::size_t bytes) {
  return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                 : std::to_string(bytes) + " bytes";
}

}  // namespace

bool is_safe_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string dns_suffix(const std::string& region) {
  return region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

std::string service_endpoint(const std::string& service, const std::string& region) {
  return "https://" + service + "." + region + "." + dns_suffix(region);
}

Endpoints Endpoints::from_environment(const EnvLookup& env, const std::string& region) {
  Endpoints e;
  e.region = region;
  auto get = [&](const char* name) { return env(name).value_or(""); };
  const std::string common = get("AWS_ENDPOINT_URL");
  e.s3 = get("AWS_ENDPOINT_URL_S3");
  if (e.s3.empty()) e.s3 = common;
  e.sts = get("AWS_ENDPOINT_URL_STS");
  if (e.sts.empty()) e.sts = common.empty() ? service_endpoint("sts", region) : common;
  e.secrets_manager = get("AWS_ENDPOINT_URL_SECRETS_MANAGER");
  if (e.secrets_manager.empty())
    e.secrets_manager = common.empty() ? service_endpoint("secretsmanager", region) : common;
  for (auto* u : {&e.s3, &e.sts, &e.secrets_manager})
    while (!u->empty() && u->back() == '/') u->pop_back();
  return e;
}

Client::Client(Endpoints endpoints, ClientOptions options, const Cancellation& cancel, Env& env)
    : m_endpoints(std::move(endpoints)),
      m_options(std::move(options)),
      m_cancel(cancel),
      m_env(env) {}

Expected<Response> Client::send(const Request& req, const Credentials* credentials) const {
  const milliseconds timeout =
      req.cleanup ? std::min(m_options.call_timeout, k_cleanup_timeout) : m_options.call_timeout;
  const Env::MonoTime deadline = m_env.monotonic_now() + timeout;
  auto fail = [&](FailureReason reason, const std::string& what) {
    return Failure{reason, req.call + ": " + what};
  };
  const std::string deadline_text = "no complete answer within " + format_duration(timeout) + " (" +
                                    m_options.call_timeout_name + ")";
  const std::string cap_text = "answer larger than " + mib(m_options.max_response_bytes) +
                               " (the cap for an AWS answer): refused";

  const auto url = parse_url(req.base_url);
  if (!url)
    return fail(FailureReason::connect,
                "invalid endpoint URL \"" + redact_url(req.base_url) + "\"");
  for (const auto& [name, value] : req.headers)
    if (!is_safe_header_value(value))
      return fail(FailureReason::credentials,
                  "the " + name + " header value holds a CR, LF or NUL character: refused");
  if (credentials && (!is_safe_header_value(credentials->access_key_id) ||
                      !is_safe_header_value(credentials->session_token)))
    return fail(FailureReason::credentials,
                "the credentials hold a CR, LF or NUL character: refused");

  const std::string canonical_path = uri_encode(url->base_path + req.path, false);
  const std::string query_string = canonical_query(req.query);
  const std::string target = canonical_path + (query_string.empty() ? "" : "?" + query_string);
  const std::string payload_hash = sha256_hex(req.body);
  const std::string region = req.region.empty() ? m_endpoints.region : req.region;

  // The wait before another attempt; false when the deadline leaves no room for one.
  auto backoff = [&](int attempt) {
    const milliseconds delay(300 << attempt);
    if (m_env.monotonic_now() + delay >= deadline) return false;
    if (req.cleanup)
      m_env.sleep_for(delay, Cancellation::never());
    else
      m_cancel.wait_for(delay, m_env);  // a cancellation ends the wait; the loop then reports it
    return true;
  };

  for (int attempt = 0;; ++attempt) {
    if (!req.cleanup && m_cancel.cancelled())
      return fail(FailureReason::cancelled, "cancelled: " + m_cancel.reason());
    const auto remaining =
        std::chrono::duration_cast<milliseconds>(deadline - m_env.monotonic_now());
    if (remaining.count() <= 0) return fail(FailureReason::timeout, deadline_text);

    Pairs sent = req.headers;
    sent.emplace_back("host", url->authority);
    if (credentials) {
      const std::string date = amz_date(static_cast<std::time_t>(m_env.wall_unix_time()));
      sent.emplace_back("x-amz-date", date);
      sent.emplace_back("x-amz-content-sha256", payload_hash);
      if (!credentials->session_token.empty())
        sent.emplace_back("x-amz-security-token", credentials->session_token);
      RequestToSign r{req.method, canonical_path, req.query, sent, payload_hash};
      sent.emplace_back("Authorization", authorization(r, *credentials, region, req.service, date));
    }
    httplib::Request http_req;
    http_req.method = req.method;
    http_req.path = target;
    http_req.body = req.body;
    bool has_content_type = false;
    for (const auto& [k, v] : sent) {
      http_req.headers.emplace(k == "host" ? "Host" : k, v);
      has_content_type = has_content_type || k == "Content-Type";
    }
    if (!has_content_type && (req.method == "PUT" || req.method == "POST"))
      http_req.headers.emplace("Content-Type", "application/octet-stream");

    Response response;
    std::atomic<bool> too_large{false}, deadline_hit{false};
    const std::size_t cap = m_options.max_response_bytes;
    // What the socket may receive in all: the body, its chunk framing and TLS records (an
    // eighth more is generous for both) and the status line and headers.
    const std::uint64_t wire_cap = cap + cap / 8 + k_header_allowance;
    http_req.response_handler = [&](const httplib::Response& r) {
      response.status = r.status;
      if (r.has_header("Content-Length")) {
        const auto len = std::strtoull(r.get_header_value("Content-Length").c_str(), nullptr, 10);
        if (len > cap) {
          too_large = true;
          return false;
        }
        response.body.reserve(static_cast<std::size_t>(len));
      }
      return true;
    };
    http_req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
      if (response.body.size() + n > cap) {
        too_large = true;
        return false;
      }
      if (m_env.monotonic_now() >= deadline) {
        deadline_hit = true;
        return false;
      }
      response.body.append(data, n);
      return true;
    };

    httplib::Client http(url->scheme_host_port);
    set_timeouts(http, remaining);
    http.enable_server_certificate_verification(true);
    http.set_keep_alive(false);
    http.set_follow_location(false);

    // A watchdog enforces the deadline, the cancellation and the size cap whatever phase is
    // slow or large: a slow-drip answer never trips a read timeout (each recv() succeeds); an
    // endless run of header lines is never seen by a content receiver (cpp-httplib 0.11 caps a
    // header line, not their number), so the bytes the socket received are counted instead; and
    // stop() only takes effect once the socket exists, so it is repeated until send() returns.
    std::atomic<int> fd{-1};
    http.set_socket_options([&](int sock) { fd = sock; });
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false, stop_requested = false;
    Cancellation::Subscription subscription;
    if (!req.cleanup)
      subscription = m_cancel.on_cancel([&] {
        std::lock_guard lock(mutex);
        stop_requested = true;
        cv.notify_all();
      });
    std::thread watchdog([&] {
      std::unique_lock lock(mutex);
      while (!done && !stop_requested && m_env.monotonic_now() < deadline) {
        m_env.wait_until(cv, lock, std::min(deadline, m_env.monotonic_now() + k_watch_interval),
                         [&] { return done || stop_requested; });
        // Only while send() runs: the socket is open and the fd is this request's.
        if (!done && tcp_bytes_received(fd) > wire_cap) {
          too_large = true;
          break;
        }
      }
      if (done) return;
      if (!stop_requested && !too_large) deadline_hit = true;
      while (!done) {
        lock.unlock();
        http.stop();
        lock.lock();
        cv.wait_for(lock, milliseconds(20), [&] { return done; });
      }
    });
    httplib::Result res = http.send(http_req);
    bool cancelled;
    {
      std::lock_guard lock(mutex);
      done = true;
      cancelled = stop_requested;
      cv.notify_all();
    }
    watchdog.join();

    if (too_large) return fail(FailureReason::too_large, cap_text);
    if (cancelled && !res) return fail(FailureReason::cancelled, "cancelled: " + m_cancel.reason());
    if (deadline_hit) return fail(FailureReason::timeout, deadline_text);
    if (!res) {
      // A request that was not sent cannot have taken effect: even a call that must not be
      // repeated may be tried again then.
      const bool not_sent =
          res.error() == httplib::Error::Connection || res.error() == httplib::Error::SSLConnection;
      if ((req.idempotent || not_sent) && attempt < 2 && backoff(attempt)) continue;
      return fail(FailureReason::connect, httplib::to_string(res.error()) + " error (" +
                                              redact_url(url->scheme_host_port) + ")");
    }
    response.status = res->status;
    response.etag = res->get_header_value("ETag");
    response.bucket_region = res->get_header_value("x-amz-bucket-region");
    if (response.status >= 500 && req.idempotent && attempt < 2 && backoff(attempt)) continue;
    return response;
  }
}

}  // namespace kci::aws
