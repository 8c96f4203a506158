#pragma once
// One-shot gzip (RFC 1952) of a buffer with zlib.
#include <string>
#include <string_view>

namespace kci {
std::string gzip_compress(std::string_view data, int level = 6);
}
