#pragma once
// Uploading one finished file: a single PUT up to the threshold, a multipart upload above it.
// Either the whole object appears under the key or nothing does: a multipart upload that fails
// at any step after it was created, or is cancelled (SIGTERM, the run deadline), is aborted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/s3export/object_store.hpp"
#include "exporter/util/cancellation.hpp"

namespace kci {

// S3's bounds: parts of at least 5 MiB (but the last) and at most 10 000 parts. 8 MiB parts and
// at most 9 000 of them keep clear of both.
inline constexpr std::size_t k_min_part_size = 8u << 20;
inline constexpr std::uint64_t k_max_parts_used = 9000;

struct UploadPolicy {
  std::uint64_t multipart_threshold = 8ULL << 20;  // more bytes go multipart (boto3's default)
  std::size_t min_part_size = k_min_part_size;     // tests shrink it
};

// The part size for a file of `bytes`: min_part_size, or larger when that would need more than
// k_max_parts_used parts.
std::size_t part_size_for(std::uint64_t bytes, std::size_t min_part_size);

// Uploads the `bytes`-byte file at `path` to `key`. Fails with reason `io` when the file cannot
// be read, with reason `cancelled` when `cancel` fired before the upload or between two parts,
// else with the store's failure (a cancellation during a call makes the store's call fail with
// `cancelled` too). A multipart upload that does not complete is aborted; the abort's own
// failure is logged, not returned: the upload's failure is what the caller reports.
Expected<void> upload_file(ObjectStore& store, const std::string& key, const std::string& path,
                           std::uint64_t bytes, const UploadPolicy& policy,
                           const Cancellation& cancel = Cancellation::never());

}  // namespace kci
