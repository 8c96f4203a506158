#pragma once
// The ObjectStore over Amazon S3 (or an S3-compatible endpoint): one bucket of aws::S3, whose
// requests are signed with the credential chain it was built with.
#include "exporter/aws/s3.hpp"
#include "exporter/s3export/object_store.hpp"

namespace kci {

class S3ObjectStore : public ObjectStore {
 public:
  // `s3` must outlive the store.
  S3ObjectStore(aws::S3& s3, std::string bucket);

  Expected<std::vector<std::string>> list_keys(const std::string& prefix) override;
  Expected<void> put_object(const std::string& key, const std::string& body) override;
  Expected<std::string> create_multipart_upload(const std::string& key) override;
  Expected<std::string> upload_part(const std::string& key, const std::string& upload_id,
                                    int part_number, const std::string& body) override;
  Expected<void> complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                           const std::vector<std::string>& etags) override;
  Expected<void> abort_multipart_upload(const std::string& key,
                                        const std::string& upload_id) override;
  std::string uri(const std::string& key) const override;

 private:
  aws::S3& m_s3;
  std::string m_bucket;
};

}  // namespace kci
