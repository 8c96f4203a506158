// rle_hybrid_encode against a decoder written from apache/parquet-format Encodings.md, "Run
// Length Encoding / Bit-Packing Hybrid (RLE = 3)": each run starts with a ULEB128 header; an odd
// header is (groups << 1 | 1) followed by groups * 8 values bit-packed LSB first, an even one is
// (count << 1) followed by the repeated value in ceil(bit_width / 8) little-endian bytes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "exporter/parquet/parquet_writer.hpp"

using kci::parquet::rle_hybrid_encode;

namespace {

struct Decoded {
  std::vector<std::uint32_t> values;
  int rle_runs = 0;
  int packed_runs = 0;
};

// Decodes `count` values; fails the test on a malformed stream.
Decoded decode(const std::string& bytes, int bit_width, std::size_t count) {
  Decoded out;
  std::size_t pos = 0;
  auto byte_at = [&](std::size_t i) -> std::uint32_t {
    REQUIRE(i < bytes.size());
    return static_cast<unsigned char>(bytes[i]);
  };
  while (out.values.size() < count) {
    std::uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      REQUIRE(shift < 64);
      const std::uint32_t b = byte_at(pos++);
      header |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (header & 1) {
      ++out.packed_runs;
      const std::uint64_t n = (header >> 1) * 8;
      std::uint64_t bit = 0;
      for (std::uint64_t v = 0; v < n; ++v) {
        std::uint32_t value = 0;
        for (int b = 0; b < bit_width; ++b, ++bit)
          value |= ((byte_at(pos + bit / 8) >> (bit % 8)) & 1U) << b;
        if (out.values.size() < count) out.values.push_back(value);
      }
      pos += (n * static_cast<std::uint64_t>(bit_width) + 7) / 8;
    } else {
      ++out.rle_runs;
      const std::uint64_t n = header >> 1;
      REQUIRE(n > 0);
      std::uint32_t value = 0;
      for (int b = 0; b < (bit_width + 7) / 8; ++b) value |= byte_at(pos++) << (8 * b);
      for (std::uint64_t v = 0; v < n; ++v) out.values.push_back(value);
    }
  }
  CHECK(pos == bytes.size());  // nothing after the last run
  return out;
}

}  // namespace

TEST_CASE("rle hybrid: the spec's runs for simple inputs") {
  std::string out;
  rle_hybrid_encode(std::vector<std::uint32_t>(10, 1), 1, out);
  CHECK(out == std::string("\x14\x01", 2));  // header 10 << 1, value 1 in one byte

  out.clear();
  rle_hybrid_encode({0, 1, 2, 3, 4, 5, 6, 7}, 3, out);
  // One bit-packed group: header (1 << 1) | 1, then 0..7 packed LSB first in 3 bytes (the
  // spec's own example: 10001000 11000110 11111010).
  CHECK(out == std::string("\x03\x88\xc6\xfa", 4));

  out.clear();
  rle_hybrid_encode({}, 1, out);
  CHECK(out.empty());
}

TEST_CASE("rle hybrid: random inputs of every bit width decode to themselves") {
  std::mt19937 rng(20261206);
  for (int bit_width = 1; bit_width <= 20; ++bit_width) {
    for (int round = 0; round < 25; ++round) {
      std::vector<std::uint32_t> values;
      const std::uint32_t max = (bit_width == 32) ? 0xffffffffU : (1U << bit_width) - 1;
      const int pieces = static_cast<int>(rng() % 40);
      for (int p = 0; p < pieces; ++p) {
        const std::uint32_t v = rng() % (max + 1);
        const int len = static_cast<int>(rng() % 3 == 0 ? rng() % 1200 : rng() % 9);
        for (int i = 0; i < len; ++i) values.push_back(rng() % 4 == 0 ? rng() % (max + 1) : v);
      }
      std::string out;
      rle_hybrid_encode(values, bit_width, out);
      const Decoded d = decode(out, bit_width, values.size());
      REQUIRE(d.values == values);
    }
  }
}

TEST_CASE("rle hybrid: long runs become RLE runs, short ones stay bit-packed") {
  std::vector<std::uint32_t> values(1000, 1);
  values.insert(values.end(), {0, 1, 0, 1, 0});
  std::string out;
  rle_hybrid_encode(values, 1, out);
  const Decoded d = decode(out, 1, values.size());
  CHECK(d.values == values);
  CHECK(d.rle_runs == 1);
  CHECK(d.packed_runs == 1);
  CHECK(out.size() <= 8);  // 1 000 ones cost a 2-byte header and one value byte
}
