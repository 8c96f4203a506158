#pragma once
// One-shot gzip (RFC 1952) of a buffer with zlib, for tests and benchmarks that serve gzip
// answers. The exporter itself compresses as it renders (util/deflate_stream.hpp).
#include <zlib.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kci::test {

// One gzip member over several pieces, as if they were one buffer.
inline std::string gzip_compress(std::initializer_list<std::string_view> pieces, int level = 6) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::size_t total = 0;
  for (auto p : pieces) total += p.size();
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(total)) + 64 * pieces.size() + 32);
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = Z_OK;
  std::size_t i = 0;
  for (auto p : pieces) {
    const bool last = ++i == pieces.size();
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p.data()));
    zs.avail_in = static_cast<uInt>(p.size());
    rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
  }
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(zs.total_out);
  out.shrink_to_fit();
  return out;
}

inline std::string gzip_compress(std::string_view data, int level = 6) {
  return gzip_compress({data}, level);
}

}  // namespace kci::test
