// DeflateWriter + gzip_tail: the bytes zlib (an independent inflater) reads back as one member.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "exporter/util/deflate_stream.hpp"
#include "gunzip.hpp"
#include "support/gzip_compress.hpp"

namespace {

using kci::test::gunzip;

std::string sample_text(std::size_t bytes, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < bytes)
    s += "cloudtuner_kubecost_namespace_total_cost{namespace=\"ns" + std::to_string(rng() % 5000) +
         "\"} " + std::to_string(rng() % 100000) + "\n";
  s.resize(bytes);
  return s;
}

std::string member(const kci::DeflatedText& body, std::string_view tail) {
  return std::string(kci::gzip_header()) + body.blocks + kci::gzip_tail(body, tail);
}

}  // namespace

TEST_CASE("deflate stream: bulk written in pieces plus a tail is one gzip member") {
  for (std::size_t bytes :
       {std::size_t{0}, std::size_t{1}, std::size_t{70'000}, std::size_t{3'000'000}}) {
    INFO("bulk bytes " << bytes);
    const std::string bulk = sample_text(bytes, 1);
    kci::DeflateWriter writer;
    // Uneven pieces, as the renderer hands them over.
    for (std::size_t at = 0, step = 1; at < bulk.size(); at += step, step = step * 3 % 65'537 + 1)
      writer.write(std::string_view(bulk).substr(at, step));
    const kci::DeflatedText body = std::move(writer).finish();
    CHECK(body.size == bulk.size());
    if (bytes > 10'000) CHECK(body.blocks.size() < bulk.size() / 3);  // it compresses
    for (const std::string& tail :
         {std::string(), std::string("health 1\n"), sample_text(9000, 2)}) {
      bool one_member = false;
      CHECK(gunzip(member(body, tail), &one_member) == bulk + tail);
      CHECK(one_member);
    }
    // The same blocks serve again behind a different tail (a publish after a failed poll).
    auto back = kci::inflate_text(body);
    REQUIRE(back.ok());
    CHECK(back.value() == bulk);
  }
}

TEST_CASE("deflate stream: a wrong CRC or size is refused by zlib and by inflate_text") {
  kci::DeflateWriter writer;
  writer.write(sample_text(50'000, 3));
  kci::DeflatedText body = std::move(writer).finish();
  bool one_member = true;
  kci::DeflatedText wrong_crc = body;
  wrong_crc.crc ^= 1;
  gunzip(member(wrong_crc, "x"), &one_member);
  CHECK_FALSE(one_member);
  CHECK_FALSE(kci::inflate_text(wrong_crc).ok());
  kci::DeflatedText wrong_size = body;
  wrong_size.size -= 1;
  CHECK_FALSE(kci::inflate_text(wrong_size).ok());
  kci::DeflatedText cut = body;
  cut.blocks.resize(cut.blocks.size() / 2);
  CHECK_FALSE(kci::inflate_text(cut).ok());
}

TEST_CASE("gzip inflater: any split of the stream, several members; cut or garbled streams fail") {
  const std::string text = sample_text(3000, 4);
  std::string one_member;
  {
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    one_member.resize(deflateBound(&zs, static_cast<uLong>(text.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(one_member.data());
    zs.avail_out = static_cast<uInt>(one_member.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    one_member.resize(zs.total_out);
    deflateEnd(&zs);
  }
  auto run = [](const std::string& gz, std::size_t split, std::string& out) {
    kci::GzipInflater inflater;
    const auto take = [&](std::string_view piece) {
      out += piece;
      return true;
    };
    bool ok = inflater.write(std::string_view(gz).substr(0, split), take) &&
              inflater.write(std::string_view(gz).substr(split), take);
    return ok && inflater.complete();
  };
  for (std::size_t split = 0; split <= one_member.size(); ++split) {
    std::string out;
    INFO("split at " << split);
    REQUIRE(run(one_member, split, out));
    REQUIRE(out == text);
  }
  std::string twice;
  CHECK(run(one_member + one_member, one_member.size() / 3, twice));
  CHECK(twice == text + text);
  std::string cut;
  CHECK_FALSE(run(one_member.substr(0, one_member.size() - 5), 10, cut));  // no trailer
  std::string garbled = one_member;
  garbled[garbled.size() - 6] ^= 0x55;  // the CRC-32 no longer matches
  std::string bad;
  kci::GzipInflater inflater;
  CHECK_FALSE(inflater.write(garbled, [&](std::string_view p) {
    bad += p;
    return true;
  }));
  CHECK_FALSE(inflater.error().empty());
}

TEST_CASE("gzip inflater: the text is handed on in pieces of up to 1 MiB, not 64 KiB") {
  // Each isal_inflate call costs ISA-L ~64 KiB of copying (deflate_stream.hpp): a stream given at
  // once is inflated in a few calls of up to k_inflate_output, each handed on as one piece.
  const std::string text = sample_text(3 * kci::k_inflate_output + 12345, 7);
  const std::string gz = kci::test::gzip_compress(text);
  kci::GzipInflater inflater;
  std::vector<std::size_t> pieces;
  std::string out;
  REQUIRE(inflater.write(gz, [&](std::string_view piece) {
    pieces.push_back(piece.size());
    out += piece;
    return true;
  }));
  CHECK(inflater.complete());
  CHECK(out == text);
  CHECK(pieces.size() <= 5);
  for (const std::size_t n : pieces) CHECK(n <= kci::k_inflate_output);
  CHECK(pieces.front() > kci::k_inflate_output / 2);
}

TEST_CASE("gzip inflater: the text is written straight into the room the consumer offers") {
  // The consumer's buffer (the Allocation stream's window): each piece is inflated into the
  // room it offers at that moment, and handed on as a view of it, so nothing is copied.
  const std::string text = sample_text(700 * 1024 + 77, 11);
  const std::string gz = kci::test::gzip_compress(text);
  std::vector<char> buffer(100 * 1024 + 3);
  std::size_t used = 0;  // the consumer takes each piece, then offers the rest of its buffer
  std::string out;
  std::size_t pieces = 0, in_place = 0;
  kci::GzipInflater inflater;
  const auto room = [&] {
    if (used == buffer.size()) used = 0;  // full: the consumer has read it, offers it all again
    return std::span<char>(buffer.data() + used, buffer.size() - used);
  };
  for (std::size_t at = 0; at < gz.size(); at += 4096)
    REQUIRE(inflater.write(
        std::string_view(gz).substr(at, 4096),
        [&](std::string_view piece) {
          ++pieces;
          if (piece.data() == buffer.data() + used) ++in_place;
          out += piece;
          used += piece.size();
          return true;
        },
        room));
  CHECK(inflater.complete());
  CHECK(out == text);
  CHECK(in_place == pieces);
  // No room offered: the inflater's own buffer, as before.
  std::string own;
  kci::GzipInflater plain;
  REQUIRE(plain.write(
      gz,
      [&](std::string_view piece) {
        CHECK((piece.data() < buffer.data() || piece.data() >= buffer.data() + buffer.size()));
        own += piece;
        return true;
      },
      [] { return std::span<char>(); }));
  CHECK(own == text);
}
