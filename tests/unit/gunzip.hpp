#pragma once
// zlib, not the compressor under test, reads gzip back: the text, and whether the bytes were
// exactly one whole member (Z_DATA_ERROR on a bad CRC or size, bytes left after the trailer).
#include <zlib.h>

#include <string>

namespace kci::test {

inline std::string gunzip(const std::string& gz, bool* one_member) {
  z_stream zs{};
  *one_member = false;
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[16384];
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  *one_member = rc == Z_STREAM_END && zs.avail_in == 0;
  inflateEnd(&zs);
  return out;
}

}  // namespace kci::test
