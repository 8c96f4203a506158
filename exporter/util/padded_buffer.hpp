#pragma once
// Text buffers that a SIMD JSON parser may read past the end of: every body that reaches a
// parser keeps at least k_body_padding bytes of capacity after its last byte.
#include <cstddef>
#include <string>

namespace kci {

// simdjson reads up to SIMDJSON_PADDING (64) bytes past the end of its input.
inline constexpr std::size_t k_body_padding = 64;

// Grows `s`'s capacity (never its size) so that k_body_padding bytes follow its end.
inline void ensure_padding(std::string& s) {
  if (s.capacity() < s.size() + k_body_padding) s.reserve(s.size() + k_body_padding);
}

}  // namespace kci
