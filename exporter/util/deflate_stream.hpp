#pragma once
// gzip (RFC 1952) of text that is made in two parts: a bulk compressed once, piece by piece as it
// is produced, and a small tail that changes more often (serve mode: the cost series of a poll,
// and the self metrics rendered at every /metrics request). The bulk becomes raw deflate blocks
// (RFC 1951) that end on a full flush: byte-aligned and independent of what follows, so a tail's
// own final blocks can follow them in the same gzip member, with the trailer's CRC-32 combined from
// both (the way pigz joins blocks). Neither the bulk's text nor a recompression of it is ever
// needed. Compressor: ISA-L igzip level 1 (docs/performance.md, codec for /metrics: chosen by
// measurement over zlib and libdeflate).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "exporter/util/result.hpp"

namespace kci {

struct DeflatedText {
  std::string blocks;      // raw deflate, not final, ending on a full flush ("" for no text)
  std::uint32_t crc = 0;   // CRC-32 of the text
  std::uint64_t size = 0;  // bytes of text
};

class DeflateWriter {
 public:
  DeflateWriter();
  ~DeflateWriter();
  DeflateWriter(const DeflateWriter&) = delete;
  DeflateWriter& operator=(const DeflateWriter&) = delete;

  void write(std::string_view text);
  DeflatedText finish() &&;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The 10 bytes every member starts with (deflate, no name, no time, OS unknown).
std::string_view gzip_header();

// What follows gzip_header() + body.blocks to make one gzip member of body's text + `tail`:
// `tail` compressed as the final blocks, then the trailer.
std::string gzip_tail(const DeflatedText& body, std::string_view tail);

// Inflates a gzip stream (RFC 1952; one member after another, as gunzip reads them) as it
// arrives, with ISA-L's igzip inflate (docs/performance.md: ~2x zlib's speed on Kubecost answers).
// Every isal_inflate call first decodes up to 32 KiB into ISA-L's own window buffer and copies it
// out, and at its end copies the last 32 KiB it wrote back into that window (intel/isa-l
// igzip/igzip_inflate.c, isal_inflate): about 64 KiB of memcpy per call, whatever the call's size.
// So the text is inflated in large pieces: straight into the consumer's own buffer when it offers
// one (`room`: the Allocation stream's JSON window, no copy at all), else into one buffer of
// k_inflate_output (1 MiB, allocated on the first write that needs it, held as long as the
// inflater) handed on in pieces of up to that size. Callers feed compressed input in pieces of
// 64 KiB or more where they can (http_client.cpp gathers the socket's).
inline constexpr std::size_t k_inflate_output = std::size_t{1} << 20;

class GzipInflater {
 public:
  using Output = std::function<bool(std::string_view)>;
  // Where the consumer would take the next bytes without a copy (empty: nowhere).
  using Room = std::function<std::span<char>()>;
  GzipInflater();
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Inflates `in`, handing the text to `out` in pieces of 1 .. k_inflate_output bytes (as much
  // as one isal_inflate call made): each written into `room()` when that is not empty, else into
  // the inflater's own buffer. False on a malformed stream (see error()) or when `out` returned
  // false.
  bool write(std::string_view in, const Output& out, const Room& room = {});
  // True when what was written ends at the end of a member (a whole stream, not a cut one).
  bool complete() const;
  const std::string& error() const { return m_error; }

 private:
  struct State;
  std::unique_ptr<State> m_state;
  std::string m_error;
};

// The text of `deflated` back, checked against its size and CRC-32.
Expected<std::string> inflate_text(const DeflatedText& deflated);

}  // namespace kci
