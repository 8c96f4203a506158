#include "exporter/aws/secrets_manager.hpp"

#include <simdjson.h>

namespace kci::aws {

Expected<std::string> get_secret_string(Client& client, CredentialChain& credentials,
                                        const std::string& secret_id, const std::string& region) {
  auto creds = credentials.get();
  if (!creds.ok()) return creds.failure();
  Endpoints e = client.endpoints();
  std::string endpoint = e.secrets_manager;
  const std::string sign_region = region.empty() ? e.region : region;
  if (!region.empty() && endpoint == service_endpoint("secretsmanager", e.region))
    endpoint = service_endpoint("secretsmanager", region);
  std::string id_json;
  for (char c : secret_id) {
    if (c == '"' || c == '\\') id_json += '\\';
    id_json += c;
  }
  Request request;
  request.call = "secretsmanager:GetSecretValue " + secret_id;
  request.method = "POST";
  request.base_url = endpoint;
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "secretsmanager.GetSecretValue"}};
  request.body = "{\"SecretId\":\"" + id_json + "\"}";
  request.service = "secretsmanager";
  request.region = sign_region;
  auto r = client.send(request, &creds.value());
  if (!r.ok()) return r.failure();
  if (r.value().status != 200)
    return Failure{FailureReason::aws, request.call + ": " + error_line(r.value()),
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
