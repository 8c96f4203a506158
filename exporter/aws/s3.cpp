#include "exporter/aws/s3.hpp"

#include <openssl/evp.h>

#include "exporter/aws/s3_listing.hpp"

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

// The text of an XML element: ETags are quoted hex from S3, but they reach the body we sign.
std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
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

Expected<Response> S3::call(const Call& c, const std::string& bucket, const std::string& key,
                            const Pairs& query, Pairs headers, const std::string& body) {
  const std::string call_name = std::string("s3:") + c.operation + " s3://" + bucket + "/" + key;
  auto creds = m_credentials.get();
  if (!creds.ok()) return creds.failure();
  Target t = target(bucket, key);
  Request request;
  request.call = call_name;
  request.method = c.method;
  request.base_url = t.base_url;
  request.path = t.path;
  request.query = query;
  request.headers = std::move(headers);
  request.body = body;
  request.service = "s3";
  request.cleanup = c.cleanup;
  auto r = m_client.send(request, &creds.value());
  if (!r.ok()) return r.failure();
  if (auto error = answer_error(r.value(), {c.ok, c.ok_too}); !error.empty())
    return Failure{FailureReason::aws, call_name + ": " + error, r.value().status};
  return r;
}

Expected<std::vector<std::string>> S3::list_keys(const std::string& bucket,
                                                 const std::string& prefix) {
  auto fetch = [&](const std::string& token) -> Expected<ListPage> {
    Pairs q{{"list-type", "2"}, {"prefix", prefix}};
    if (!token.empty()) q.emplace_back("continuation-token", token);
    auto r = call({"ListObjectsV2", "GET"}, bucket, "", q, {}, "");
    if (!r.ok()) {
      Failure f = r.failure();
      // call() named the bucket only; the prefix is what tells the listings apart.
      const std::string bucket_uri = "s3://" + bucket + "/";
      if (auto at = f.message.find(bucket_uri); at != std::string::npos)
        f.message.insert(at + bucket_uri.size(), prefix);
      return f;
    }
    return parse_list_page(r.value().body);
  };
  return list_all_pages(fetch, "s3:ListObjectsV2 s3://" + bucket + "/" + prefix);
}

Expected<void> S3::put_object(const std::string& bucket, const std::string& key,
                              const std::string& body) {
  auto r =
      call({"PutObject", "PUT"}, bucket, key, {},
           {{"Content-Type", "application/vnd.apache.parquet"}, {"Content-MD5", md5_base64(body)}},
           body);
  if (!r.ok()) return r.failure();
  return {};
}

Expected<std::string> S3::create_multipart_upload(const std::string& bucket,
                                                  const std::string& key) {
  auto r = call({"CreateMultipartUpload", "POST"}, bucket, key, {{"uploads", ""}},
                {{"Content-Type", "application/vnd.apache.parquet"}}, "");
  if (!r.ok()) return r.failure();
  auto ids = xml_values(r.value().body, "UploadId");
  if (ids.empty() || ids[0].empty())
    return Failure{FailureReason::aws,
                   "s3:CreateMultipartUpload s3://" + bucket + "/" + key + ": no UploadId"};
  return ids[0];
}

Expected<std::string> S3::upload_part(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id, int part_number,
                                      const std::string& body) {
  auto r = call({"UploadPart", "PUT"}, bucket, key,
                {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
                {{"Content-MD5", md5_base64(body)}}, body);
  if (!r.ok()) return r.failure();
  if (r.value().etag.empty())
    return Failure{FailureReason::aws, "s3:UploadPart s3://" + bucket + "/" + key + ": part " +
                                           std::to_string(part_number) + " answered no ETag"};
  return r.value().etag;
}

Expected<void> S3::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<std::string>& etags) {
  std::string complete = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    complete += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                xml_escape(etags[i]) + "</ETag></Part>";
  complete += "</CompleteMultipartUpload>";
  // CompleteMultipartUpload can answer 200 with an <Error> body: call() makes it a failure.
  auto r = call({"CompleteMultipartUpload", "POST"}, bucket, key, {{"uploadId", upload_id}},
                {{"Content-Type", "application/xml"}}, complete);
  if (!r.ok()) return r.failure();
  return {};
}

Expected<void> S3::abort_multipart_upload(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) {
  auto r = call({"AbortMultipartUpload", "DELETE", 204, 200, true}, bucket, key,
                {{"uploadId", upload_id}}, {}, "");
  if (!r.ok()) return r.failure();
  return {};
}

}  // namespace kci::aws
