#pragma once
// The benchmarks' gzip answer file: read whole, and inflated whole by one isal_inflate call into
// one buffer followed by simdjson's padding (the limit's inflate: no pieces, no copies).
#include <isa-l/igzip_lib.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

namespace kci::bench {

// The file's bytes, "" when it cannot be read.
inline std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The text's size from the gzip trailer (ISIZE: the size mod 2^32; answers are far below 4 GiB).
inline std::size_t gzip_text_size(std::string_view gz) {
  if (gz.size() < 18) return 0;
  std::uint32_t n = 0;
  for (std::size_t i = 4; i > 0; --i)
    n = (n << 8) | static_cast<unsigned char>(gz[gz.size() - 5 + i]);
  return n;
}

// A buffer for the text of `gz` (gzip_text_size bytes) and `padding` readable bytes after it.
inline std::unique_ptr<char[]> text_buffer(std::string_view gz, std::size_t padding) {
  return std::unique_ptr<char[]>(new char[gzip_text_size(gz) + padding]());
}

// Inflates the one gzip member `gz` into `text` (gzip_text_size(gz) bytes) in one call; false
// unless the member is whole, its CRC-32 and size right, and the text exactly that size.
inline bool inflate_whole(std::string_view gz, char* text) {
  const std::size_t size = gzip_text_size(gz);
  inflate_state st{};
  isal_inflate_init(&st);
  st.crc_flag = ISAL_GZIP;
  st.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(gz.data()));
  st.avail_in = static_cast<std::uint32_t>(gz.size());
  st.next_out = reinterpret_cast<std::uint8_t*>(text);
  st.avail_out = static_cast<std::uint32_t>(size);
  return isal_inflate(&st) == ISAL_DECOMP_OK && st.block_state == ISAL_BLOCK_FINISH &&
         st.total_out == size;
}

}  // namespace kci::bench
