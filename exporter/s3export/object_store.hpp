#pragma once
// The bucket s3-export writes to, as the run sees it: list, one PUT, and the steps of a
// multipart upload. S3ObjectStore is the real one; tests drive the run with an in-memory store.
// Keys are relative to the store's bucket. Failures carry reason `aws` (or `credentials`).
#include <string>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci {

// True for the failure of a write refused because the key already holds an object: S3's
// 412 Precondition Failed to a conditional PutObject or CompleteMultipartUpload. The object
// there is kept; for s3-export the day is "already in S3", not a failure.
inline bool is_already_present(const Failure& failure) {
  return failure.reason == FailureReason::aws && failure.http_status == 412;
}

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Every key under `prefix` (all pages).
  virtual Expected<std::vector<std::string>> list_keys(const std::string& prefix) = 0;
  // The whole object in one request, only if the key holds none (S3: If-None-Match: *); on
  // failure no object is created. A key that already holds one fails is_already_present.
  virtual Expected<void> put_object(const std::string& key, const std::string& body) = 0;

  // A multipart upload: create, then parts numbered from 1, then complete with the parts' ETags
  // in order. Until completed nothing is visible under `key`; an upload that is not completed
  // must be aborted, or its parts stay stored.
  virtual Expected<std::string> create_multipart_upload(const std::string& key) = 0;  // upload id
  virtual Expected<std::string> upload_part(const std::string& key, const std::string& upload_id,
                                            int part_number, const std::string& body) = 0;  // ETag
  virtual Expected<void> complete_multipart_upload(const std::string& key,
                                                   const std::string& upload_id,
                                                   const std::vector<std::string>& etags) = 0;
  virtual Expected<void> abort_multipart_upload(const std::string& key,
                                                const std::string& upload_id) = 0;

  // "s3://<bucket>/<key>" for logs.
  virtual std::string uri(const std::string& key) const = 0;
};

}  // namespace kci
