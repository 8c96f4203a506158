#include "exporter/aws/aws_client.hpp"

#include <httplib.h>

#include <chrono>
#include <ctime>
#include <thread>

namespace kci::aws {

Endpoints Endpoints::from_environment(const EnvLookup& env, const std::string& region) {
  Endpoints e;
  e.region = region;
  auto get = [&](const char* name) { return env(name).value_or(""); };
  const std::string common = get("AWS_ENDPOINT_URL");
  e.s3 = get("AWS_ENDPOINT_URL_S3");
  if (e.s3.empty()) e.s3 = common;
  e.sts = get("AWS_ENDPOINT_URL_STS");
  if (e.sts.empty()) e.sts = common.empty() ? "https://sts." + region + ".amazonaws.com" : common;
  e.secrets_manager = get("AWS_ENDPOINT_URL_SECRETS_MANAGER");
  if (e.secrets_manager.empty())
    e.secrets_manager =
        common.empty() ? "https://secretsmanager." + region + ".amazonaws.com" : common;
  for (auto* u : {&e.s3, &e.sts, &e.secrets_manager})
    while (!u->empty() && u->back() == '/') u->pop_back();
  return e;
}

Client::Client(Endpoints endpoints, std::chrono::milliseconds timeout)
    : m_endpoints(std::move(endpoints)), m_timeout(timeout) {}

Expected<Response> Client::send(const std::string& method, const std::string& base_url,
                                const std::string& path, const Pairs& query, Pairs headers,
                                const std::string& body, const std::string& service,
                                const Credentials* credentials, const std::string& region) {
  auto scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos)
    return Failure{FailureReason::connect, "invalid endpoint URL \"" + base_url + "\""};
  auto path_start = base_url.find('/', scheme_end + 3);
  const std::string scheme_host_port = base_url.substr(0, path_start);
  const std::string host = scheme_host_port.substr(scheme_end + 3);
  const std::string base_path = path_start == std::string::npos ? "" : base_url.substr(path_start);
  const std::string canonical_path = uri_encode(base_path + path, false);
  const std::string query_string = canonical_query(query);
  const std::string payload_hash = sha256_hex(body);

  for (int attempt = 0;; ++attempt) {
    Pairs sent = headers;
    sent.emplace_back("host", host);
    if (credentials) {
      const std::string date = amz_date(std::time(nullptr));
      sent.emplace_back("x-amz-date", date);
      sent.emplace_back("x-amz-content-sha256", payload_hash);
      if (!credentials->session_token.empty())
        sent.emplace_back("x-amz-security-token", credentials->session_token);
      RequestToSign r{method, canonical_path, query, sent, payload_hash};
      sent.emplace_back("Authorization",
                        authorization(r, *credentials, region.empty() ? m_endpoints.region : region,
                                      service, date));
    }
    httplib::Client http(scheme_host_port);
    http.set_connection_timeout(
        std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count() / 4 + 1);
    http.set_read_timeout(std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count() + 1);
    http.set_write_timeout(std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count() + 1);
    http.enable_server_certificate_verification(true);
    http.set_keep_alive(false);
    httplib::Headers h;
    std::string content_type = "application/octet-stream";
    for (const auto& [k, v] : sent) {
      if (k == "host") continue;  // httplib sets Host itself, to the same value
      if (k == "Content-Type") {
        content_type = v;
        continue;
      }
      h.emplace(k, v);
    }
    const std::string target = canonical_path + (query_string.empty() ? "" : "?" + query_string);
    httplib::Result res = method == "GET"      ? http.Get(target, h)
                          : method == "PUT"    ? http.Put(target, h, body, content_type)
                          : method == "POST"   ? http.Post(target, h, body, content_type)
                          : method == "DELETE" ? http.Delete(target, h)
                                               : http.Head(target, h);
    if (!res) {
      if (attempt < 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300 << attempt));
        continue;
      }
      return Failure{FailureReason::connect,
                     httplib::to_string(res.error()) + " (" + scheme_host_port + ")"};
    }
    if (res->status >= 500 && attempt < 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300 << attempt));
      continue;
    }
    return Response{res->status, res->body, res->get_header_value("ETag")};
  }
}

}  // namespace kci::aws
