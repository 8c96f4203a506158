#pragma once
// The S3 calls s3-export makes, signed with a credential chain: ListObjectsV2 (every page),
// PutObject and the steps of a multipart upload. Addressing (s3_address): virtual-hosted on AWS,
// path-style for a bucket name with a '.' and on a custom endpoint (AWS_ENDPOINT_URL[_S3]).
// Failures name the call and the
// s3:// URI and carry the AWS error code (reason `aws`), the credential failure or the
// Client's (timeout, too_large, cancelled, ...). An answer with the expected status but an
// <Error> document as its body is a failure, for every call (aws_response: is_error_document).
// A write's 200 counts only when it is that call's success (s3_write_answers.hpp): PutObject and
// UploadPart with an ETag header, CompleteMultipartUpload with a CompleteMultipartUploadResult
// naming the key; any other 200 fails with reason `aws`, http_status 200 and a fixed
// description (nothing of the body).
//
// Buckets in another region: a request signed for the wrong region is answered 301
// PermanentRedirect (the right region in the x-amz-bucket-region header) or 400
// AuthorizationHeaderMalformed (the right region in the error's <Region>); a HEAD gets the same
// statuses without a body ("Amazon S3 API Reference: Error responses", https://
// docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html; "Making requests" / "Virtual
// hosting of buckets", https://docs.aws.amazon.com/AmazonS3/latest/userguide/
// VirtualHosting.html). As the AWS SDKs do (botocore utils.py S3RegionRedirectorv2:
// redirect_from_error, get_bucket_region: header first, then the error's Region), the call is
// signed again for that region (and, on AWS, sent to that region's endpoint) once, and the
// region is remembered for the bucket for the rest of the run (its redirect_from_cache).
//
// Writes are conditional: PutObject and CompleteMultipartUpload carry `If-None-Match: *`, so an
// object already under the key is never overwritten ("Amazon S3 User Guide: How to prevent
// object overwrites with conditional writes", https://docs.aws.amazon.com/AmazonS3/latest/
// userguide/conditional-writes.html; S3 supports it on those two calls, not on
// CreateMultipartUpload). S3 answers 412 Precondition Failed when the key exists: that failure
// carries http_status 412 (s3export/object_store.hpp: is_already_present).
#include <map>
#include <string>
#include <vector>

#include "exporter/aws/aws_client.hpp"
#include "exporter/aws/credentials.hpp"
#include "exporter/util/result.hpp"

namespace kci::aws {

// Where a request for `key` ("" for the bucket itself) in `bucket` goes: the base URL and the
// path, which is also the SigV4 canonical URI (so it holds the bucket when path-style).
//  - a custom endpoint (`custom_endpoint` non-empty): path-style, <endpoint>/<bucket>/<key>;
//  - a bucket name without '.': virtual-hosted, https://<bucket>.s3.<region>.<suffix>/<key>;
//  - a bucket name with a '.': path-style, https://s3.<region>.<suffix>/<bucket>/<key>. S3's
//    wildcard certificate *.s3.<region>.amazonaws.com covers one label, so a virtual host of a
//    dotted name fails TLS verification; botocore (utils.py check_dns_name: "we are going to
//    punt on any name containing a '.' character because these will cause SSL cert validation
//    problems if we try to use virtual-hosting style addressing") falls back to path-style as
//    well ("Amazon S3 User Guide: Virtual hosting of buckets", https://docs.aws.amazon.com/
//    AmazonS3/latest/userguide/VirtualHosting.html).
// <suffix> is the region's partition DNS suffix (dns_suffix: amazonaws.com.cn for cn-*).
struct S3Address {
  std::string base_url;
  std::string path;
};
S3Address s3_address(const std::string& custom_endpoint, const std::string& bucket,
                     const std::string& key, const std::string& region);

class S3 {
 public:
  // `client` and `credentials` must outlive the S3 object.
  S3(Client& client, CredentialChain& credentials);
  // Every key under `prefix`, following continuation tokens (s3_listing: list_all_pages).
  Expected<std::vector<std::string>> list_keys(const std::string& bucket,
                                               const std::string& prefix);
  // One PUT (Content-MD5 + signed SHA-256 payload hash, so S3 rejects a damaged body),
  // conditional (If-None-Match: *). A 200 without an ETag header fails.
  Expected<void> put_object(const std::string& bucket, const std::string& key,
                            const std::string& body);
  // Multipart upload, one call per step; the caller drives the parts and must abort an upload
  // it does not complete (s3export/upload does), or S3 keeps the parts and bills for them.
  // CreateMultipartUpload: the UploadId. Never retried after it may have reached S3 (each call
  // opens an upload; a repeated one would orphan the first).
  Expected<std::string> create_multipart_upload(const std::string& bucket, const std::string& key);
  // UploadPart (Content-MD5 checked by S3): the part's ETag (an answer without one fails).
  Expected<std::string> upload_part(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id, int part_number,
                                    const std::string& body);
  // CompleteMultipartUpload of parts 1..etags.size(), conditional (If-None-Match: *); a 200 with
  // an <Error> body, or with anything but a CompleteMultipartUploadResult for `key` (an empty
  // body, an HTML page, a result cut short or for another key), is a failure.
  Expected<void> complete_multipart_upload(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id,
                                           const std::vector<std::string>& etags);
  // AbortMultipartUpload: S3 drops the parts uploaded so far. A clean-up call: it is sent even
  // after the client's cancellation fired, within aws_client's k_cleanup_timeout.
  Expected<void> abort_multipart_upload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id);

 private:
  // The region requests for `bucket` are signed for: the one S3 named, else the client's.
  std::string region_of(const std::string& bucket) const;
  struct Call {
    const char* operation;  // "PutObject"
    const char* method;
    int ok = 200;      // the status of success
    int ok_too = 200;  // another one (AbortMultipartUpload: 204 or 200)
    bool cleanup = false;
    bool idempotent = true;
  };
  // Signs and sends; a Failure also for an answer with another status than `ok`/`ok_too` or an
  // <Error> body.
  Expected<Response> call(const Call& c, const std::string& bucket, const std::string& key,
                          const Pairs& query, Pairs headers, const std::string& body);
  Client& m_client;
  CredentialChain& m_credentials;
  std::map<std::string, std::string> m_bucket_regions;  // learnt from S3's region answers
};

}  // namespace kci::aws
