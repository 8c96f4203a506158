#include "exporter/s3export/s3_object_store.hpp"

namespace kci {

S3ObjectStore::S3ObjectStore(aws::S3& s3, std::string bucket)
    : m_s3(s3), m_bucket(std::move(bucket)) {}

Expected<std::vector<std::string>> S3ObjectStore::list_keys(const std::string& prefix) {
  return m_s3.list_keys(m_bucket, prefix);
}

Expected<void> S3ObjectStore::put_object(const std::string& key, const std::string& body) {
  return m_s3.put_object(m_bucket, key, body);
}

Expected<std::string> S3ObjectStore::create_multipart_upload(const std::string& key) {
  return m_s3.create_multipart_upload(m_bucket, key);
}

Expected<std::string> S3ObjectStore::upload_part(const std::string& key,
                                                 const std::string& upload_id, int part_number,
                                                 const std::string& body) {
  return m_s3.upload_part(m_bucket, key, upload_id, part_number, body);
}

Expected<void> S3ObjectStore::complete_multipart_upload(const std::string& key,
                                                        const std::string& upload_id,
                                                        const std::vector<std::string>& etags) {
  return m_s3.complete_multipart_upload(m_bucket, key, upload_id, etags);
}

Expected<void> S3ObjectStore::abort_multipart_upload(const std::string& key,
                                                     const std::string& upload_id) {
  return m_s3.abort_multipart_upload(m_bucket, key, upload_id);
}

std::string S3ObjectStore::uri(const std::string& key) const {
  return "s3://" + m_bucket + "/" + key;
}

}  // namespace kci
