#pragma once
// The small part of AWS this product needs, over cpp-httplib with our SigV4 signer: S3
// (ListObjectsV2, PutObject, multipart upload), STS (AssumeRoleWithWebIdentity, AssumeRole),
// EKS Pod Identity credentials and Secrets Manager GetSecretValue. Endpoints follow the
// standard overrides AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3 / _STS / _SECRETS_MANAGER (custom
// endpoints use path-style S3 addressing). AWS error bodies (XML or JSON) become one line with
// the error code. Keys, tokens and signatures are never logged.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "exporter/aws/sigv4.hpp"
#include "exporter/config/config.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

struct Response {
  int status = 0;
  std::string body;
  std::string etag;
};

// "<Code>: <Message>" from an AWS error body, or the status and the start of the body.
std::string error_line(const Response& response);
// Inner texts of every <tag>...</tag> in an XML document (entities decoded).
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag);

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

  // Signed when `credentials` is set; for `region` ("" = the endpoints' region).
  Expected<Response> send(const std::string& method, const std::string& base_url,
                          const std::string& path, const Pairs& query, Pairs headers,
                          const std::string& body, const std::string& service,
                          const Credentials* credentials, const std::string& region = "");

  const Endpoints& endpoints() const { return m_endpoints; }

 private:
  Endpoints m_endpoints;
  std::chrono::milliseconds m_timeout;
};

// The credential chain: static env keys, then IRSA web identity, then EKS Pod Identity; then,
// when parent_role_arn is set, sts:AssumeRole into it with the first credentials (role chaining).
class CredentialChain {
 public:
  CredentialChain(Client& client, EnvLookup env, std::string parent_role_arn);
  // Cached until five minutes before expiry.
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

class S3 {
 public:
  S3(Client& client, CredentialChain& credentials);
  Expected<std::vector<std::string>> list_keys(const std::string& bucket,
                                               const std::string& prefix);
  // One PUT (Content-MD5 + signed SHA-256 payload hash, so S3 rejects a damaged body).
  Expected<void> put_object(const std::string& bucket, const std::string& key,
                            const std::string& body);
  // Multipart upload, one call per step; the caller drives the parts and must abort an upload
  // it does not complete (s3export/upload does), or S3 keeps the parts and bills for them.
  // CreateMultipartUpload: the UploadId.
  Expected<std::string> create_multipart_upload(const std::string& bucket, const std::string& key);
  // UploadPart (Content-MD5 checked by S3): the part's ETag.
  Expected<std::string> upload_part(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id, int part_number,
                                    const std::string& body);
  // CompleteMultipartUpload of parts 1..etags.size(); a 200 with an <Error> body is a failure.
  Expected<void> complete_multipart_upload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id,
                                           const std::vector<std::string>& etags);
  // AbortMultipartUpload: S3 drops the parts uploaded so far.
  Expected<void> abort_multipart_upload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id);

 private:
  struct Target {
    std::string base_url;
    std::string path;
  };
  Target target(const std::string& bucket, const std::string& key) const;
  Expected<Response> call(const std::string& method, const std::string& bucket,
                          const std::string& key, const Pairs& query, Pairs headers,
                          const std::string& body);
  Client& m_client;
  CredentialChain& m_credentials;
};

// Secrets Manager GetSecretValue -> SecretString, in `region` when set (the secret may live in
// another region than the cluster; a custom endpoint override still wins).
Expected<std::string> get_secret_string(Client& client, CredentialChain& credentials,
                                        const std::string& secret_id, const std::string& region);

}  // namespace kci::aws
