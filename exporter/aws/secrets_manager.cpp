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
