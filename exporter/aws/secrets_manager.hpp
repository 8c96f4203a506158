#pragma once
// Secrets Manager GetSecretValue, for the Kubecost CA certificate s3-export may need.
#include <string>

#include "exporter/aws/aws_client.hpp"
#include "exporter/aws/credentials.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

// The secret's SecretString, read in `region` when set (the secret may live in another region
// than the cluster; a custom endpoint override still wins). Failures name the call and the
// secret id, never the secret.
Expected<std::string> get_secret_string(Client& client, CredentialChain& credentials,
                                        const std::string& secret_id, const std::string& region);

}  // namespace kci::aws
