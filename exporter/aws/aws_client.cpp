#include "exporter/aws/aws_client.hpp"

#include <algorithm>
#include <ctime>
#include <functional>
#include <vector>

#include "exporter/http/http_exchange.hpp"
#include "exporter/util/durations.hpp"
#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

using std::chrono::milliseconds;

// The longest wait for a connection (TCP and TLS), within the call deadline.
constexpr milliseconds k_connect_timeout{30'000};

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

namespace {

// Keeps an AWS answer: its status, ETag and bucket region, and its body up to the cap.
class AnswerReader final : public ResponseReader {
 public:
  AnswerReader(Response& response, std::size_t cap) : m_response(response), m_cap(cap) {}
  bool on_head(const ResponseHead& head) override {
    m_response.status = head.status;
    m_response.etag = std::string(head.field("ETag"));
    m_response.bucket_region = std::string(head.field("x-amz-bucket-region"));
    if (head.content_length) {
      if (*head.content_length > m_cap) {
        too_large = true;
        return false;
      }
      m_response.body.reserve(static_cast<std::size_t>(*head.content_length));
    }
    return true;
  }
  bool on_body(std::string_view piece) override {
    if (m_response.body.size() + piece.size() > m_cap) {
      too_large = true;
      return false;
    }
    m_response.body.append(piece);
    return true;
  }
  bool too_large = false;

 private:
  Response& m_response;
  std::size_t m_cap;
};

// No connection was made (or the TLS handshake failed): nothing reached the server.
bool nothing_sent(ExchangeError error) {
  return error == ExchangeError::resolve || error == ExchangeError::connect ||
         error == ExchangeError::connect_timeout || error == ExchangeError::tls;
}

}  // namespace

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

  const auto url = parse_peer_url(req.base_url);
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
  const std::function<bool()> cancelled = [&] { return !req.cleanup && m_cancel.cancelled(); };

  for (int attempt = 0;; ++attempt) {
    if (cancelled()) return fail(FailureReason::cancelled, "cancelled: " + m_cancel.reason());
    const auto remaining =
        std::chrono::duration_cast<milliseconds>(deadline - m_env.monotonic_now());
    if (remaining.count() <= 0) return fail(FailureReason::timeout, deadline_text);

    HeaderList sent = req.headers;
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
    const bool has_content_type = std::any_of(
        sent.begin(), sent.end(), [](const auto& h) { return h.first == "Content-Type"; });
    if (!has_content_type && (req.method == "PUT" || req.method == "POST"))
      sent.emplace_back("Content-Type", "application/octet-stream");

    OutgoingRequest outgoing;
    outgoing.method = req.method;
    outgoing.target = target;
    outgoing.headers = &sent;
    outgoing.body = req.body;
    ExchangeBounds bounds;
    bounds.connect_timeout = std::min(remaining, k_connect_timeout);
    bounds.deadline = deadline;
    bounds.limits.max_body_bytes = m_options.max_response_bytes;

    Response response;
    AnswerReader reader(response, m_options.max_response_bytes);
    const ExchangeOutcome outcome = exchange(*url, outgoing, bounds, reader, cancelled, m_env);

    if (reader.too_large || outcome.error == ExchangeError::body_too_large)
      return fail(FailureReason::too_large, cap_text);
    switch (outcome.error) {
      case ExchangeError::none:
      case ExchangeError::stopped:
      case ExchangeError::body_too_large:
        break;
      case ExchangeError::cancelled:
        return fail(FailureReason::cancelled, "cancelled: " + m_cancel.reason());
      case ExchangeError::deadline:
        return fail(FailureReason::timeout, deadline_text);
      case ExchangeError::head_too_large:
        return fail(FailureReason::too_large, outcome.detail + ": refused");
      case ExchangeError::malformed:
        return fail(FailureReason::aws, outcome.detail + " (" + url->origin + ")");
      case ExchangeError::bad_request:
        return fail(FailureReason::credentials, outcome.detail + ": refused");
      case ExchangeError::idle_timeout:
      case ExchangeError::resolve:
      case ExchangeError::connect:
      case ExchangeError::connect_timeout:
      case ExchangeError::tls:
      case ExchangeError::lost:
        // A request that was not sent cannot have taken effect: even a call that must not be
        // repeated may be tried again then.
        if ((req.idempotent || nothing_sent(outcome.error)) && attempt < 2 && backoff(attempt))
          continue;
        return fail(FailureReason::connect, outcome.detail + " (" + url->origin + ")");
    }
    if (response.status >= 500 && req.idempotent && attempt < 2 && backoff(attempt)) continue;
    // Any answer may be quoted in a message (an unexpected status, an error document in a 200):
    // the credentials this request sent (a session token, the Pod Identity token in
    // Authorization) are taken out of it first.
    {
      std::vector<std::string> secrets;
      for (const auto& [name, value] : sent)
        if (name == "Authorization" || name == "x-amz-security-token") secrets.push_back(value);
      if (credentials) secrets.push_back(credentials->session_token);
      response.body = redact_secrets(std::move(response.body), secrets);
    }
    return response;
  }
}

}  // namespace kci::aws
