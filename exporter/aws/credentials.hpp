#pragma once
// Where s3-export's AWS credentials come from, in the AWS SDKs' order: static keys from the
// environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), then IRSA web
// identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, sts:AssumeRoleWithWebIdentity), then
// EKS Pod Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI, with the token of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). When a parent role ARN is set, the first credentials
// then sts:AssumeRole into it (role chaining, as the AWS kubecost-s3-exporter does).
#include <optional>
#include <string>
#include <string_view>

#include "exporter/aws/aws_client.hpp"
#include "exporter/aws/sigv4.hpp"
#include "exporter/config/environment.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

// A failure (reason `credentials`, naming `source` and the field, never its value) when a key,
// secret or session token holds a control character (CR, LF, NUL, ...): such a value would
// inject a header into every signed request (x-amz-security-token) or the Authorization line.
Expected<void> check_credentials(const Credentials& credentials, const std::string& source);

// Whether AWS_CONTAINER_CREDENTIALS_FULL_URI may receive the Pod Identity token: an http(s) URL
// whose host is one of the container credential endpoints (169.254.170.2 for ECS,
// 169.254.170.23 and fd00:ec2::23 for the EKS Pod Identity agent) or a loopback address
// (localhost, 127.0.0.0/8, ::1), as botocore's ContainerMetadataFetcher allows
// (botocore/utils.py _ALLOWED_HOSTS; botocore 1.29 lists 169.254.170.2, localhost and 127.0.0.1,
// later versions add the EKS addresses and any loopback). Anything else would send the token to
// whoever the URL names.
bool container_credentials_host_allowed(std::string_view url);

class CredentialChain {
 public:
  // `client` must outlive the chain.
  CredentialChain(Client& client, EnvLookup env, std::string parent_role_arn);
  // Cached until five minutes before expiry. Failures carry reason `credentials` (nothing
  // usable configured, a token file unreadable, an answer without keys or with a control
  // character in one: check_credentials) or `aws` (STS or the Pod Identity agent refused), or
  // the Client's reasons (timeout, too_large, cancelled, ...), with the call named and no
  // secret in the message (the Pod Identity URI is redacted).
  Expected<Credentials> get();
  std::string describe() const { return m_source; }  // e.g. "irsa+assume-role" (no secrets)

 private:
  Expected<Credentials> base();
  Client& m_client;
  EnvLookup m_env;
  std::string m_parent_role_arn;
  std::optional<Credentials> m_cached;
  std::string m_source;
};

}  // namespace kci::aws
