#include "exporter/aws/s3.hpp"

#include <openssl/evp.h>

#include "exporter/aws/s3_listing.hpp"
#include "exporter/aws/s3_write_answers.hpp"
#include "exporter/util/logging.hpp"
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

// The region S3 names in an answer to a request sent to or signed for the wrong one, or "".
// botocore utils.py S3RegionRedirectorv2.redirect_from_error: 301/302/307, PermanentRedirect,
// AuthorizationHeaderMalformed with a <Region>, and the bodiless 301/400 a HEAD gets; the region
// from x-amz-bucket-region first, then the error's <Region> (get_bucket_region).
std::string wrong_region_answer(const Response& r) {
  const bool redirect_status = r.status == 301 || r.status == 302 || r.status == 307;
  const auto codes = xml_values(r.body, "Code");
  const std::string code = codes.empty() ? "" : codes[0];
  const auto regions = xml_values(r.body, "Region");
  const bool wrong_signing_region =
      r.status == 400 && code == "AuthorizationHeaderMalformed" && !regions.empty();
  const bool bodiless_400 = r.status == 400 && r.body.empty();
  if (!(redirect_status || code == "PermanentRedirect" || wrong_signing_region || bodiless_400))
    return "";
  std::string region = !r.bucket_region.empty() ? r.bucket_region
                       : !regions.empty()       ? regions[0]
                                                : "";
  // A region code is a-z, 0-9 and '-' (us-east-1, eu-central-2): anything else is not one,
  // and it becomes part of a host name.
  const bool plausible =
      !region.empty() && region.size() <= 32 &&
      region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
  return plausible ? region : "";
}

}  // namespace

S3::S3(Client& client, CredentialChain& credentials)
    : m_client(client), m_credentials(credentials) {}

S3Address s3_address(const std::string& custom_endpoint, const std::string& bucket,
                     const std::string& key, const std::string& region) {
  const std::string suffix = key.empty() ? "/" : "/" + key;
  if (!custom_endpoint.empty()) return {custom_endpoint, "/" + bucket + suffix};
  if (bucket.find('.') != std::string::npos)
    return {service_endpoint("s3", region), "/" + bucket + suffix};
  return {"https://" + bucket + ".s3." + region + "." + dns_suffix(region), suffix};
}

std::string S3::region_of(const std::string& bucket) const {
  auto it = m_bucket_regions.find(bucket);
  return it == m_bucket_regions.end() ? m_client.endpoints().region : it->second;
}

Expected<Response> S3::call(const Call& c, const std::string& bucket, const std::string& key,
                            const Pairs& query, Pairs headers, const std::string& body) {
  const std::string call_name = std::string("s3:") + c.operation + " s3://" + bucket + "/" + key;
  auto creds = m_credentials.get();
  if (!creds.ok()) return creds.failure();
  Request request;
  request.call = call_name;
  request.method = c.method;
  request.query = query;
  request.headers = std::move(headers);
  request.body = body;
  request.service = "s3";
  request.cleanup = c.cleanup;
  request.idempotent = c.idempotent;
  for (int redirects = 0;; ++redirects) {
    const std::string region = region_of(bucket);
    const S3Address t = s3_address(m_client.endpoints().s3, bucket, key, region);
    request.base_url = t.base_url;
    request.path = t.path;
    request.region = region;
    auto r = m_client.send(request, &creds.value());
    if (!r.ok()) return r.failure();
    const std::string other = wrong_region_answer(r.value());
    if (!other.empty() && other != region && redirects == 0) {
      log::info("s3 bucket is in another region: signing for that region from now on",
                {{"bucket", bucket}, {"signed_for", region}, {"bucket_region", other}});
      m_bucket_regions[bucket] = other;
      continue;
    }
    if (auto error = answer_error(r.value(), {c.ok, c.ok_too}); !error.empty()) {
      if (!other.empty())
        error +=
            "; the bucket is in " + one_line(other, 40) + ", requests were signed for " + region;
      return Failure{FailureReason::aws, call_name + ": " + error, r.value().status};
    }
    return r;
  }
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
    auto page = parse_list_page(r.value().body);
    if (!page.ok())
      return Failure{page.failure().reason, "s3:ListObjectsV2 s3://" + bucket + "/" + prefix +
                                                ": " + page.failure().message};
    if (const std::string why = page_outside_prefix(page.value(), prefix); !why.empty())
      return Failure{FailureReason::parse, "s3:ListObjectsV2 s3://" + bucket + "/" + prefix + ": " +
                                               why + ": nothing is uploaded"};
    return page;
  };
  return list_all_pages(fetch, "s3:ListObjectsV2 s3://" + bucket + "/" + prefix);
}

Expected<void> S3::put_object(const std::string& bucket, const std::string& key,
                              const std::string& body) {
  auto r = call({"PutObject", "PUT"}, bucket, key, {},
                {{"Content-Type", "application/vnd.apache.parquet"},
                 {"Content-MD5", md5_base64(body)},
                 {"If-None-Match", "*"}},
                body);
  if (!r.ok()) return r.failure();
  if (r.value().etag.empty())
    return Failure{FailureReason::aws,
                   "s3:PutObject s3://" + bucket + "/" + key + ": answered " +
                       std::to_string(r.value().status) + " without an ETag header",
                   r.value().status};
  return {};
}

Expected<std::string> S3::create_multipart_upload(const std::string& bucket,
                                                  const std::string& key) {
  auto r = call({"CreateMultipartUpload", "POST", 200, 200, false, false}, bucket, key,
                {{"uploads", ""}}, {{"Content-Type", "application/vnd.apache.parquet"}}, "");
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
    return Failure{FailureReason::aws,
                   "s3:UploadPart s3://" + bucket + "/" + key + ": part " +
                       std::to_string(part_number) + " answered " +
                       std::to_string(r.value().status) + " without an ETag header",
                   r.value().status};
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
  // Any other 200 must be the result for this key (s3_write_answers: complete_result_problem).
  auto r = call({"CompleteMultipartUpload", "POST"}, bucket, key, {{"uploadId", upload_id}},
                {{"Content-Type", "application/xml"}, {"If-None-Match", "*"}}, complete);
  if (!r.ok()) return r.failure();
  if (const std::string why = complete_result_problem(r.value().body, key); !why.empty())
    return Failure{FailureReason::aws,
                   "s3:CompleteMultipartUpload s3://" + bucket + "/" + key + ": answered " +
                       std::to_string(r.value().status) +
                       " without a CompleteMultipartUploadResult for key \"" + one_line(key, 300) +
                       "\" (" + why + ")",
                   r.value().status};
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
