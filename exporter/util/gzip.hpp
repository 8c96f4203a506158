#pragma once
// One-shot gzip (RFC 1952) of a buffer with zlib.
#include <initializer_list>
#include <string>
#include <string_view>

namespace kci {
std::string gzip_compress(std::string_view data, int level = 6);
// One gzip member over several pieces, as if they were one buffer.
std::string gzip_compress(std::initializer_list<std::string_view> pieces, int level = 6);
}  // namespace kci
