#include "exporter/aws/aws_client.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/md5.h>
#include <simdjson.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

std::string base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string md5_base64(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return base64(std::string(reinterpret_cast<char*>(md), len));
}

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read \"" + path + "\"";
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

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
  if (r.status != 200) return Failure{FailureReason::aws, what + ": " + error_line(r), r.status};
  auto id = xml_values(r.body, "AccessKeyId");
  auto secret = xml_values(r.body, "SecretAccessKey");
  auto token = xml_values(r.body, "SessionToken");
  auto exp = xml_values(r.body, "Expiration");
  if (id.empty() || secret.empty() || token.empty())
    return Failure{FailureReason::aws, what + ": answer has no credentials"};
  Credentials c{id[0], secret[0], token[0], exp.empty() ? std::nullopt : parse_iso(exp[0])};
  return c;
}

std::string session_name() { return "kubecost-s3-exporter-" + std::to_string(std::time(nullptr)); }

}  // namespace

std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (auto p = xml.find(open); p != std::string::npos; p = xml.find(open, p)) {
    auto start = p + open.size();
    auto end = xml.find(close, start);
    if (end == std::string::npos) break;
    std::string v = xml.substr(start, end - start);
    std::string decoded;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '&') {
        auto semi = v.find(';', i);
        std::string ent = semi == std::string::npos ? "" : v.substr(i, semi - i + 1);
        const char* rep = ent == "&amp;"    ? "&"
                          : ent == "&lt;"   ? "<"
                          : ent == "&gt;"   ? ">"
                          : ent == "&quot;" ? "\""
                          : ent == "&apos;" ? "'"
                                            : nullptr;
        if (rep) {
          decoded += rep;
          i = semi;
          continue;
        }
      }
      decoded += v[i];
    }
    out.push_back(std::move(decoded));
    p = end + close.size();
  }
  return out;
}

std::string error_line(const Response& r) {
  auto code = xml_values(r.body, "Code");
  auto message = xml_values(r.body, "Message");
  if (!code.empty())
    return code[0] + (message.empty() ? "" : ": " + one_line(message[0])) + " (HTTP " +
           std::to_string(r.status) + ")";
  // JSON error bodies (Secrets Manager, Pod Identity): {"__type": "...", "message": "..."}
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parser.parse(r.body).get(doc)) {
    std::string_view type, msg;
    if (doc["__type"].get(type) && doc["code"].get(type)) type = "";
    if (doc["message"].get(msg) && doc["Message"].get(msg)) msg = "";
    if (!type.empty() || !msg.empty()) {
      auto hash = type.find('#');
      if (hash != std::string_view::npos) type = type.substr(hash + 1);
      return std::string(type) + (msg.empty() ? "" : ": " + one_line(msg)) + " (HTTP " +
             std::to_string(r.status) + ")";
    }
  }
  return "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + one_line(r.body));
}

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

CredentialChain::CredentialChain(Client& client, EnvLookup env, std::string parent_role_arn)
    : m_client(client), m_env(std::move(env)), m_parent_role_arn(std::move(parent_role_arn)) {}

Expected<Credentials> CredentialChain::base() {
  auto get = [&](const char* name) { return m_env(name).value_or(""); };
  if (!get("AWS_ACCESS_KEY_ID").empty() || !get("AWS_SECRET_ACCESS_KEY").empty()) {
    if (get("AWS_ACCESS_KEY_ID").empty() || get("AWS_SECRET_ACCESS_KEY").empty())
      return Failure{FailureReason::credentials,
                     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together"};
    m_source = "environment";
    return Credentials{get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"),
                       get("AWS_SESSION_TOKEN"), std::nullopt};
  }
  if (!get("AWS_ROLE_ARN").empty() && !get("AWS_WEB_IDENTITY_TOKEN_FILE").empty()) {
    std::string error;
    std::string token = read_file(get("AWS_WEB_IDENTITY_TOKEN_FILE"), error);
    if (!error.empty())
      return Failure{FailureReason::credentials, "AWS_WEB_IDENTITY_TOKEN_FILE: " + error};
    std::string body = form({{"Action", "AssumeRoleWithWebIdentity"},
                             {"Version", "2011-06-15"},
                             {"RoleArn", get("AWS_ROLE_ARN")},
                             {"RoleSessionName", session_name()},
                             {"WebIdentityToken", token}});
    auto r = m_client.send("POST", m_client.endpoints().sts, "/", {},
                           {{"Content-Type", "application/x-www-form-urlencoded"}}, body, "sts",
                           nullptr);
    if (!r.ok()) return r.failure();
    m_source = "irsa";
    return credentials_from_sts(r.value(), "sts:AssumeRoleWithWebIdentity " + get("AWS_ROLE_ARN"));
  }
  if (!get("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty()) {
    std::string uri = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    Pairs headers;
    if (!get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").empty()) {
      std::string error;
      std::string token = read_file(get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), error);
      if (!error.empty())
        return Failure{FailureReason::credentials,
                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + error};
      headers.emplace_back("Authorization", token);
    }
    auto scheme = uri.find("://");
    auto path_start = uri.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string base = uri.substr(0, path_start);
    std::string path = path_start == std::string::npos ? "/" : uri.substr(path_start);
    auto r = m_client.send("GET", base, path, {}, headers, "", "", nullptr);
    if (!r.ok()) return r.failure();
    if (r.value().status != 200)
      return Failure{FailureReason::aws, "EKS Pod Identity: " + error_line(r.value()),
                     r.value().status};
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view id, secret, token, exp;
    if (parser.parse(r.value().body).get(doc) || doc["AccessKeyId"].get(id) ||
        doc["SecretAccessKey"].get(secret) || doc["Token"].get(token))
      return Failure{FailureReason::credentials, "EKS Pod Identity: answer has no credentials"};
    if (doc["Expiration"].get(exp)) exp = {};
    m_source = "pod-identity";
    return Credentials{std::string(id), std::string(secret), std::string(token),
                       exp.empty() ? std::nullopt : parse_iso(std::string(exp))};
  }
  return Failure{FailureReason::credentials,
                 "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, IRSA "
                 "(AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) or EKS Pod Identity "
                 "(AWS_CONTAINER_CREDENTIALS_FULL_URI)"};
}

Expected<Credentials> CredentialChain::get() {
  if (m_cached && (!m_cached->expiration || *m_cached->expiration - std::time(nullptr) > 300))
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
                           {"RoleSessionName", session_name()},
                           {"DurationSeconds", "3600"}});
  auto r = m_client.send("POST", m_client.endpoints().sts, "/", {},
                         {{"Content-Type", "application/x-www-form-urlencoded"}}, body, "sts",
                         &first.value());
  if (!r.ok()) return r.failure();
  auto chained = credentials_from_sts(r.value(), "sts:AssumeRole " + m_parent_role_arn);
  if (!chained.ok()) return chained;
  m_source += "+assume-role";
  m_cached = chained.value();
  return chained;
}

S3::S3(Client& client, CredentialChain& credentials)
    : m_client(client), m_credentials(credentials) {}

S3::Target S3::target(const std::string& bucket, const std::string& key) const {
  const std::string& custom = m_client.endpoints().s3;
  const std::string suffix = key.empty() ? "/" : "/" + key;
  if (!custom.empty()) return {custom, "/" + bucket + suffix};  // path-style for custom endpoints
  return {"https://" + bucket + ".s3." + m_client.endpoints().region + ".amazonaws.com", suffix};
}

Expected<Response> S3::call(const std::string& method, const std::string& bucket,
                            const std::string& key, const Pairs& query, Pairs headers,
                            const std::string& body) {
  auto creds = m_credentials.get();
  if (!creds.ok()) return creds.failure();
  Target t = target(bucket, key);
  return m_client.send(method, t.base_url, t.path, query, std::move(headers), body, "s3",
                       &creds.value());
}

Expected<std::vector<std::string>> S3::list_keys(const std::string& bucket,
                                                 const std::string& prefix) {
  std::vector<std::string> keys;
  std::string token;
  for (int page = 0; page < 100000; ++page) {
    Pairs q{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    auto r = call("GET", bucket, "", q, {}, "");
    if (!r.ok()) return r.failure();
    if (r.value().status != 200)
      return Failure{
          FailureReason::aws,
          "s3:ListObjectsV2 s3://" + bucket + "/" + prefix + ": " + error_line(r.value()),
          r.value().status};
    for (auto& k : xml_values(r.value().body, "Key")) keys.push_back(std::move(k));
    auto truncated = xml_values(r.value().body, "IsTruncated");
    auto next = xml_values(r.value().body, "NextContinuationToken");
    if (truncated.empty() || truncated[0] != "true" || next.empty()) return keys;
    token = next[0];
  }
  return Failure{FailureReason::aws, "s3:ListObjectsV2: too many pages"};
}

Expected<void> S3::put_object(const std::string& bucket, const std::string& key,
                              const std::string& body) {
  auto r =
      call("PUT", bucket, key, {},
           {{"Content-Type", "application/vnd.apache.parquet"}, {"Content-MD5", md5_base64(body)}},
           body);
  if (!r.ok()) return r.failure();
  if (r.value().status != 200)
    return Failure{FailureReason::aws,
                   "s3:PutObject s3://" + bucket + "/" + key + ": " + error_line(r.value()),
                   r.value().status};
  return {};
}

Expected<std::string> S3::create_multipart_upload(const std::string& bucket,
                                                  const std::string& key) {
  const std::string where = "s3://" + bucket + "/" + key;
  auto r = call("POST", bucket, key, {{"uploads", ""}},
                {{"Content-Type", "application/vnd.apache.parquet"}}, "");
  if (!r.ok()) return r.failure();
  if (r.value().status != 200)
    return Failure{FailureReason::aws,
                   "s3:CreateMultipartUpload " + where + ": " + error_line(r.value()),
                   r.value().status};
  auto ids = xml_values(r.value().body, "UploadId");
  if (ids.empty())
    return Failure{FailureReason::aws, "s3:CreateMultipartUpload " + where + ": no UploadId"};
  return ids[0];
}

Expected<std::string> S3::upload_part(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id, int part_number,
                                      const std::string& body) {
  auto r = call("PUT", bucket, key,
                {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
                {{"Content-MD5", md5_base64(body)}}, body);
  if (!r.ok()) return r.failure();
  if (r.value().status != 200)
    return Failure{FailureReason::aws,
                   "s3:UploadPart s3://" + bucket + "/" + key + ": " + error_line(r.value()),
                   r.value().status};
  return r.value().etag;
}

Expected<void> S3::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<std::string>& etags) {
  std::string complete = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    complete += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] +
                "</ETag></Part>";
  complete += "</CompleteMultipartUpload>";
  auto r = call("POST", bucket, key, {{"uploadId", upload_id}},
                {{"Content-Type", "application/xml"}}, complete);
  if (!r.ok()) return r.failure();
  // CompleteMultipartUpload can answer 200 with an <Error> body.
  if (r.value().status != 200 || !xml_values(r.value().body, "Code").empty())
    return Failure{
        FailureReason::aws,
        "s3:CompleteMultipartUpload s3://" + bucket + "/" + key + ": " + error_line(r.value()),
        r.value().status};
  return {};
}

Expected<void> S3::abort_multipart_upload(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) {
  auto r = call("DELETE", bucket, key, {{"uploadId", upload_id}}, {}, "");
  if (!r.ok()) return r.failure();
  if (r.value().status != 204 && r.value().status != 200)
    return Failure{
        FailureReason::aws,
        "s3:AbortMultipartUpload s3://" + bucket + "/" + key + ": " + error_line(r.value()),
        r.value().status};
  return {};
}

Expected<std::string> get_secret_string(Client& client, CredentialChain& credentials,
                                        const std::string& secret_id, const std::string& region) {
  auto creds = credentials.get();
  if (!creds.ok()) return creds.failure();
  Endpoints e = client.endpoints();
  std::string endpoint = e.secrets_manager;
  const std::string sign_region = region.empty() ? e.region : region;
  if (!region.empty() && endpoint == "https://secretsmanager." + e.region + ".amazonaws.com")
    endpoint = "https://secretsmanager." + region + ".amazonaws.com";
  std::string body = "{\"SecretId\":\"" + secret_id + "\"}";
  auto r = client.send("POST", endpoint, "/", {},
                       {{"Content-Type", "application/x-amz-json-1.1"},
                        {"X-Amz-Target", "secretsmanager.GetSecretValue"}},
                       body, "secretsmanager", &creds.value(), sign_region);
  if (!r.ok()) return r.failure();
  if (r.value().status != 200)
    return Failure{FailureReason::aws,
                   "secretsmanager:GetSecretValue " + secret_id + ": " + error_line(r.value()),
                   r.value().status};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view s;
  if (parser.parse(r.value().body).get(doc) || doc["SecretString"].get(s))
    return Failure{FailureReason::aws,
                   "secretsmanager:GetSecretValue " + secret_id + ": no SecretString"};
  return std::string(s);
}

}  // namespace kci::aws
