#include "exporter/s3export/upload.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

#include "exporter/util/logging.hpp"

namespace kci {
namespace {

Expected<void> put_whole(ObjectStore& store, const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failure{FailureReason::io, "cannot read " + path};
  // Read straight into the body: one copy of the file, not a stream buffer and then a string.
  in.seekg(0, std::ios::end);
  std::string body(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
  in.seekg(0, std::ios::beg);
  if (!in.read(body.data(), static_cast<std::streamsize>(body.size())))
    return Failure{FailureReason::io, "cannot read " + path};
  return store.put_object(key, body);
}

Failure cancelled(const ObjectStore& store, const std::string& key, const Cancellation& cancel,
                  const std::string& when) {
  return Failure{FailureReason::cancelled,
                 "upload of " + store.uri(key) + " stopped " + when + ": " + cancel.reason()};
}

// Reads and uploads the parts, then completes. The caller aborts on failure.
Expected<void> put_parts(ObjectStore& store, const std::string& key, const std::string& upload_id,
                         const std::string& path, std::size_t part_size,
                         const Cancellation& cancel) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failure{FailureReason::io, "cannot read " + path};
  std::vector<std::string> etags;
  std::string part(part_size, '\0');
  for (int number = 1; number <= 10000; ++number) {
    in.read(part.data(), static_cast<std::streamsize>(part_size));
    const std::size_t n = static_cast<std::size_t>(in.gcount());
    if (n == 0 && number > 1) break;  // the file ended on a part boundary
    if (cancel.cancelled())
      return cancelled(store, key, cancel, "before part " + std::to_string(number));
    auto etag = store.upload_part(key, upload_id, number, part.substr(0, n));
    if (!etag.ok()) return etag.failure();
    etags.push_back(std::move(etag.value()));
    if (n < part_size) break;
  }
  if (cancel.cancelled()) return cancelled(store, key, cancel, "before completing");
  return store.complete_multipart_upload(key, upload_id, etags);
}

}  // namespace

std::size_t part_size_for(std::uint64_t bytes, std::size_t min_part_size) {
  return std::max<std::size_t>(min_part_size, bytes / k_max_parts_used + 1);
}

Expected<void> upload_file(ObjectStore& store, const std::string& key, const std::string& path,
                           std::uint64_t bytes, const UploadPolicy& policy,
                           const Cancellation& cancel) {
  if (cancel.cancelled()) return cancelled(store, key, cancel, "before it began");
  if (bytes <= policy.multipart_threshold) return put_whole(store, key, path);
  auto upload_id = store.create_multipart_upload(key);
  if (!upload_id.ok()) return upload_id.failure();
  auto put = put_parts(store, key, upload_id.value(), path,
                       part_size_for(bytes, policy.min_part_size), cancel);
  if (put.ok()) return put;
  auto aborted = store.abort_multipart_upload(key, upload_id.value());
  if (!aborted.ok())
    log::warn("s3 multipart abort failed",
              {{"object", store.uri(key)}, {"error", aborted.failure().message}});
  else
    log::info("s3 multipart upload aborted: no part is kept",
              {{"object", store.uri(key)}, {"reason", to_string(put.failure().reason)}});
  return put;
}

}  // namespace kci
