#pragma once
// The S3 calls s3-export makes, signed with a credential chain: ListObjectsV2 (every page),
// PutObject and the steps of a multipart upload. Buckets are virtual-hosted on AWS and
// path-style on a custom endpoint (AWS_ENDPOINT_URL[_S3]). Failures name the call and the
// s3:// URI and carry the AWS error code (reason `aws`), the credential failure or the
// Client's (timeout, too_large, cancelled, ...). An answer with the expected status but an
// <Error> document as its body is a failure, for every call (aws_response: is_error_document).
#include <string>
#include <vector>

#include "exporter/aws/aws_client.hpp"
#include "exporter/aws/credentials.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

class S3 {
 public:
  // `client` and `credentials` must outlive the S3 object.
  S3(Client& client, CredentialChain& credentials);
  // Every key under `prefix`, following continuation tokens (s3_listing: list_all_pages).
  Expected<std::vector<std::string>> list_keys(const std::string& bucket,
                                               const std::string& prefix);
  // One PUT (Content-MD5 + signed SHA-256 payload hash, so S3 rejects a damaged body).
  Expected<void> put_object(const std::string& bucket, const std::string& key,
                            const std::string& body);
  // Multipart upload, one call per step; the caller drives the parts and must abort an upload
  // it does not complete (s3export/upload does), or S3 keeps the parts and bills for them.
  // CreateMultipartUpload: the UploadId.
  Expected<std::string> create_multipart_upload(const std::string& bucket, const std::string& key);
  // UploadPart (Content-MD5 checked by S3): the part's ETag (an answer without one fails).
  Expected<std::string> upload_part(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id, int part_number,
                                    const std::string& body);
  // CompleteMultipartUpload of parts 1..etags.size(); a 200 with an <Error> body is a failure.
  Expected<void> complete_multipart_upload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id,
                                           const std::vector<std::string>& etags);
  // AbortMultipartUpload: S3 drops the parts uploaded so far. A clean-up call: it is sent even
  // after the client's cancellation fired, within aws_client's k_cleanup_timeout.
  Expected<void> abort_multipart_upload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id);

 private:
  struct Target {
    std::string base_url;
    std::string path;
  };
  Target target(const std::string& bucket, const std::string& key) const;
  struct Call {
    const char* operation;  // "PutObject"
    const char* method;
    int ok = 200;      // the status of success
    int ok_too = 200;  // another one (AbortMultipartUpload: 204 or 200)
    bool cleanup = false;
  };
  // Signs and sends; a Failure also for an answer with another status than `ok`/`ok_too` or an
  // <Error> body.
  Expected<Response> call(const Call& c, const std::string& bucket, const std::string& key,
                          const Pairs& query, Pairs headers, const std::string& body);
  Client& m_client;
  CredentialChain& m_credentials;
};

}  // namespace kci::aws
