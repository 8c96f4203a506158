#include "exporter/aws/credentials.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>

#include "exporter/util/file_reader.hpp"
#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

std::string form(const Pairs& fields) {
  std::string out;
  for (const auto& [k, v] : fields)
    out += (out.empty() ? "" : "&") + uri_encode(k, true) + "=" + uri_encode(v, true);
  return out;
}

std::optional<std::time_t> parse_iso(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return timegm(&tm);
}

Expected<Credentials> credentials_from_sts(const Response& r, const std::string& what) {
  if (auto error = answer_error(r); !error.empty())
    return Failure{FailureReason::aws, what + ": " + error, r.status};
  auto id = xml_values(r.body, "AccessKeyId");
  auto secret = xml_values(r.body, "SecretAccessKey");
  auto token = xml_values(r.body, "SessionToken");
  auto exp = xml_values(r.body, "Expiration");
  if (id.empty() || secret.empty() || token.empty())
    return Failure{FailureReason::credentials, what + ": answer has no credentials"};
  Credentials c{id[0], secret[0], token[0], exp.empty() ? std::nullopt : parse_iso(exp[0])};
  if (auto checked = check_credentials(c, what); !checked.ok()) return checked.failure();
  return c;
}

Request sts_request(const std::string& call, const std::string& endpoint, std::string body) {
  Request r;
  r.call = call;
  r.method = "POST";
  r.base_url = endpoint;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  r.body = std::move(body);
  r.service = "sts";
  return r;
}

std::string session_name(std::int64_t now) { return "kubecost-s3-exporter-" + std::to_string(now); }

}  // namespace

bool container_credentials_host_allowed(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://"))
    rest = url.substr(7);
  else if (url.starts_with("https://"))
    rest = url.substr(8);
  else
    return false;
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  std::string host;
  if (rest.starts_with('[')) {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(rest.substr(1, close - 1));
  } else {
    host = std::string(rest.substr(0, rest.find(':')));
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    in6_addr eks{};
    inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return IN6_IS_ADDR_LOOPBACK(&v6) || std::memcmp(&v6, &eks, sizeof v6) == 0;
  }
  return false;
}

Expected<void> check_credentials(const Credentials& c, const std::string& source) {
  auto clean = [](const std::string& v) {
    return std::none_of(v.begin(), v.end(), [](char ch) {
      const auto u = static_cast<unsigned char>(ch);
      return u < 0x20 || u == 0x7F;
    });
  };
  const char* field = !clean(c.access_key_id)       ? "AccessKeyId"
                      : !clean(c.secret_access_key) ? "SecretAccessKey"
                      : !clean(c.session_token)     ? "SessionToken"
                                                    : nullptr;
  if (field == nullptr) return {};
  return Failure{FailureReason::credentials,
                 source + ": the " + std::string(field) +
                     " holds a control character (CR, LF, ...): refused, it would inject a "
                     "header into signed requests"};
}

CredentialChain::CredentialChain(Client& client, EnvLookup env, std::string parent_role_arn)
    : m_client(client), m_env(std::move(env)), m_parent_role_arn(std::move(parent_role_arn)) {}

Expected<Credentials> CredentialChain::base() {
  auto get = [&](const char* name) { return m_env(name).value_or(""); };
  if (!get("AWS_ACCESS_KEY_ID").empty() || !get("AWS_SECRET_ACCESS_KEY").empty()) {
    if (get("AWS_ACCESS_KEY_ID").empty() || get("AWS_SECRET_ACCESS_KEY").empty())
      return Failure{FailureReason::credentials,
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"};
    Credentials c{get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"), get("AWS_SESSION_TOKEN"),
                  std::nullopt};
    if (auto checked =
            check_credentials(c, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN");
        !checked.ok())
      return checked.failure();
    m_source = "environment";
    return c;
  }
  if (!get("AWS_ROLE_ARN").empty() && !get("AWS_WEB_IDENTITY_TOKEN_FILE").empty()) {
    std::string error;
    std::string token =
        read_token_file("AWS_WEB_IDENTITY_TOKEN_FILE", get("AWS_WEB_IDENTITY_TOKEN_FILE"), error);
    if (!error.empty()) return Failure{FailureReason::credentials, error};
    std::string body = form({{"Action", "AssumeRoleWithWebIdentity"},
                             {"Version", "2011-06-15"},
                             {"RoleArn", get("AWS_ROLE_ARN")},
                             {"RoleSessionName", session_name(m_client.env().wall_unix_time())},
                             {"WebIdentityToken", token}});
    const std::string call = "sts:AssumeRoleWithWebIdentity " + get("AWS_ROLE_ARN");
    auto r = m_client.send(sts_request(call, m_client.endpoints().sts, std::move(body)), nullptr);
    if (!r.ok()) return r.failure();
    m_source = "irsa";
    return credentials_from_sts(r.value(), call);
  }
  if (!get("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty()) {
    std::string uri = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!container_credentials_host_allowed(uri))
      return Failure{FailureReason::credentials,
                     "AWS_CONTAINER_CREDENTIALS_FULL_URI: " + redact_url(uri) +
                         ": the host is not a container credential endpoint (169.254.170.2, "
                         "169.254.170.23, [fd00:ec2::23]) nor loopback; the token is not sent"};
    Pairs headers;
    if (!get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").empty()) {
      std::string error;
      std::string token = read_token_file("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                          get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), error);
      if (!error.empty()) return Failure{FailureReason::credentials, error};
      headers.emplace_back("Authorization", token);
    }
    auto scheme = uri.find("://");
    auto path_start = uri.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    Request request;
    request.call = "EKS Pod Identity " + redact_url(uri);
    request.base_url = uri.substr(0, path_start);
    request.path = path_start == std::string::npos ? "/" : uri.substr(path_start);
    request.headers = std::move(headers);
    auto r = m_client.send(request, nullptr);
    if (!r.ok()) return r.failure();
    if (r.value().status != 200)
      return Failure{FailureReason::aws, request.call + ": " + error_line(r.value()),
                     r.value().status};
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view id, secret, token, exp;
    if (parser.parse(r.value().body).get(doc) || doc["AccessKeyId"].get(id) ||
        doc["SecretAccessKey"].get(secret) || doc["Token"].get(token))
      return Failure{FailureReason::credentials, request.call + ": answer has no credentials"};
    if (doc["Expiration"].get(exp)) exp = {};
    Credentials c{std::string(id), std::string(secret), std::string(token),
                  exp.empty() ? std::nullopt : parse_iso(std::string(exp))};
    if (auto checked = check_credentials(c, request.call); !checked.ok()) return checked.failure();
    m_source = "pod-identity";
    return c;
  }
  return Failure{FailureReason::credentials,
                 "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, IRSA "
                 "(AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) or EKS Pod Identity "
                 "(AWS_CONTAINER_CREDENTIALS_FULL_URI)"};
}

Expected<Credentials> CredentialChain::get() {
  if (m_cached &&
      (!m_cached->expiration || *m_cached->expiration - m_client.env().wall_unix_time() > 300))
    return *m_cached;
  auto first = base();
  if (!first.ok()) return first;
  if (m_parent_role_arn.empty()) {
    m_cached = first.value();
    return first;
  }
  std::string body = form({{"Action", "AssumeRole"},
                           {"Version", "2011-06-15"},
                           {"RoleArn", m_parent_role_arn},
                           {"RoleSessionName", session_name(m_client.env().wall_unix_time())},
                           {"DurationSeconds", "3600"}});
  const std::string call = "sts:AssumeRole " + m_parent_role_arn;
  auto r =
      m_client.send(sts_request(call, m_client.endpoints().sts, std::move(body)), &first.value());
  if (!r.ok()) return r.failure();
  auto chained = credentials_from_sts(r.value(), call);
  if (!chained.ok()) return chained;
  m_source += "+assume-role";
  m_cached = chained.value();
  return chained;
}

}  // namespace kci::aws
