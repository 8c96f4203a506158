#pragma once
// Where the AWS services are and how one request reaches them: the endpoints (the standard
// overrides AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 / _STS / _SECRETS_MANAGER; custom endpoints
// use path-style S3 addressing) and the send, SigV4-signed when credentials are given, over
// cpp-httplib with TLS verification, a bounded retry on connection errors and 5xx, and no
// keep-alive. Keys, tokens and signatures are never part of a returned message.
#include <chrono>
#include <string>

#include "exporter/aws/aws_response.hpp"
#include "exporter/aws/sigv4.hpp"
#include "exporter/config/config.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

struct Endpoints {
  std::string region;
  std::string s3;  // "" = https://s3.<region>.amazonaws.com (virtual-hosted buckets)
  std::string sts;
  std::string secrets_manager;
  static Endpoints from_environment(const EnvLookup& env, const std::string& region);
};

class Client {
 public:
  Client(Endpoints endpoints, std::chrono::milliseconds timeout);

  // Signed when `credentials` is set; for `region` ("" = the endpoints' region). Any answer
  // with a status is a Response (the caller judges the status); only a request that got no
  // answer is a Failure.
  Expected<Response> send(const std::string& method, const std::string& base_url,
                          const std::string& path, const Pairs& query, Pairs headers,
                          const std::string& body, const std::string& service,
                          const Credentials* credentials, const std::string& region = "");

  const Endpoints& endpoints() const { return m_endpoints; }

 private:
  Endpoints m_endpoints;
  std::chrono::milliseconds m_timeout;
};

}  // namespace kci::aws
