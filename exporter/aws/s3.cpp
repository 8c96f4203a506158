#include "exporter/aws/s3.hpp"

#include <openssl/evp.h>

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

}  // namespace

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

}  // namespace kci::aws
