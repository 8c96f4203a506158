#pragma once
// Where the AWS services are and how one request reaches them: the endpoints (the standard
// overrides AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 / _STS / _SECRETS_MANAGER; custom endpoints
// use path-style S3 addressing) and the send, SigV4-signed when credentials are given, as one
// bounded exchange (http/http_exchange.hpp) with TLS verification and no keep-alive. Every call is
// bounded: one deadline covers connecting, sending, the whole answer and the retries; the answer is
// capped in size; a cancellation stops the request in flight. Keys, tokens, signatures and URL
// userinfo are never part of a returned message.
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "exporter/aws/aws_response.hpp"
#include "exporter/aws/sigv4.hpp"
#include "exporter/config/environment.hpp"
#include "exporter/util/cancellation.hpp"
#include "exporter/util/env.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

// The DNS suffix of the AWS partition `region` is in: amazonaws.com.cn for the China regions
// (cn-*, partition aws-cn), amazonaws.com for the others (aws, aws-us-gov) (botocore
// data/endpoints.json: partitions[].dnsSuffix and regionRegex).
std::string dns_suffix(const std::string& region);

// The regional endpoint of an AWS service: https://<service>.<region>.<dns_suffix(region)>
// (sts, secretsmanager, s3).
std::string service_endpoint(const std::string& service, const std::string& region);

struct Endpoints {
  std::string region;
  std::string s3;  // "" = AWS's S3 in the bucket's region (s3.hpp: s3_address)
  std::string sts;
  std::string secrets_manager;
  static Endpoints from_environment(const EnvLookup& env, const std::string& region);
};

// The largest AWS answer read. A ListObjectsV2 page holds at most 1 000 keys of at most 1 024
// bytes ("Amazon S3 API Reference: ListObjectsV2", MaxKeys; "Naming Amazon S3 objects"), well
// under 2 MiB of XML; STS, Secrets Manager (a secret is at most 64 KiB) and the S3 write calls
// answer far less. A bigger answer is refused, not read.
inline constexpr std::size_t k_max_response_bytes = 16u << 20;

// How long a clean-up call (AbortMultipartUpload after a failure or a SIGTERM) may take: it must
// fit in the 30 s Kubernetes grants between SIGTERM and SIGKILL by default.
inline constexpr std::chrono::milliseconds k_cleanup_timeout{10'000};

struct ClientOptions {
  // The whole of one call: connecting, sending, every byte of the answer, and the retries.
  std::chrono::milliseconds call_timeout{120'000};
  // How a deadline failure names the setting behind call_timeout.
  std::string call_timeout_name = "the AWS call timeout";
  std::size_t max_response_bytes = k_max_response_bytes;
};

struct Request {
  std::string call;  // e.g. "s3:PutObject s3://bucket/key": starts every failure message
  std::string method = "GET";
  std::string base_url;  // scheme://host[:port][/base path]; userinfo is dropped, never sent
  std::string path = "/";
  Pairs query;    // raw names and values
  Pairs headers;  // "Content-Type" among them when the body has one
  std::string body;
  std::string service;   // the SigV4 service name, for a signed request
  std::string region;    // "" = the endpoints' region
  bool cleanup = false;  // runs even after cancellation, within k_cleanup_timeout
  // False for a call that must not be sent twice (CreateMultipartUpload: each one opens a new
  // upload, so a retry after a lost answer orphans the first). Such a call is retried only when
  // no connection was made (nothing reached the server); a 5xx or a broken answer is returned.
  bool idempotent = true;
};

// False for a header value holding CR, LF or NUL: sent as is, it would end the header and
// start another one.
bool is_safe_header_value(std::string_view value);

class Client {
 public:
  // `cancel` and `env` must outlive the client. `env` (util/env.hpp) is the clock of the call
  // deadline, the backoff waits and the watchdog, and the wall clock of the signing date.
  Client(Endpoints endpoints, ClientOptions options,
         const Cancellation& cancel = Cancellation::never(), Env& env = Env::system());

  // Sends `request`, signed with `credentials` when set. Any answer with a status is a
  // Response (the caller judges the status and the body). A Failure, its message starting with
  // request.call, means there was no complete answer: reason `connect` (no connection after 3
  // attempts, or an invalid URL), `timeout` (the call deadline passed), `too_large` (the body
  // exceeds max_response_bytes, by Content-Length or as read, or the socket received more than
  // that plus an allowance for headers and framing: it is not read further), `cancelled` (the
  // cancellation fired; a cleanup request ignores it), or `credentials` (a header value or
  // credential holding CR, LF or NUL: refused before anything is sent). Status lines and headers
  // over 64 KiB or 128 fields are `too_large` too; an answer that is not HTTP/1.1 is `aws`.
  // Connection errors and 5xx answers of idempotent requests are retried twice with backoff while
  // the deadline allows; a request that is not idempotent is retried only when the connection could
  // not be made.
  Expected<Response> send(const Request& request, const Credentials* credentials) const;

  const Endpoints& endpoints() const { return m_endpoints; }

 private:
  Endpoints m_endpoints;
  ClientOptions m_options;
  const Cancellation& m_cancel;
  Env& m_env;

 public:
  // The Env the client reads time from (credential expiry uses the same clock).
  Env& env() const { return m_env; }
};

}  // namespace kci::aws
