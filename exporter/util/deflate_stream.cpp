#include "exporter/util/deflate_stream.hpp"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace kci {
namespace {

constexpr std::size_t k_min_output = 64 * 1024;

// Runs isal_deflate until the input is consumed and, when flushing or ending, until the
// output buffer was left with room (ISA-L's sign that everything buffered was written).
void run_deflate(isal_zstream& zs, std::string& out, std::string_view in) {
  zs.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<std::uint32_t>(in.size());
  while (true) {
    const std::size_t used = out.size();
    out.resize(used + std::max(k_min_output, in.size() / 2));
    zs.next_out = reinterpret_cast<std::uint8_t*>(out.data() + used);
    zs.avail_out = static_cast<std::uint32_t>(out.size() - used);
    if (isal_deflate(&zs) != COMP_OK) throw std::runtime_error("isal_deflate failed");
    const bool room_left = zs.avail_out > 0;
    out.resize(out.size() - zs.avail_out);
    if (zs.avail_in == 0 && room_left) return;
  }
}

struct Compressor {
  isal_zstream zs{};
  std::vector<std::uint8_t> level_buffer = std::vector<std::uint8_t>(ISAL_DEF_LVL1_DEFAULT);
  Compressor() {
    isal_deflate_init(&zs);
    zs.gzip_flag = IGZIP_DEFLATE;
    zs.level = 1;
    zs.level_buf = level_buffer.data();
    zs.level_buf_size = static_cast<std::uint32_t>(level_buffer.size());
  }
};

}  // namespace

struct DeflateWriter::State {
  Compressor compressor;
  DeflatedText out;
};

DeflateWriter::DeflateWriter() : m_state(std::make_unique<State>()) {}
DeflateWriter::~DeflateWriter() = default;

void DeflateWriter::write(std::string_view text) {
  if (text.empty()) return;
  // ISA-L takes 32-bit lengths.
  constexpr std::size_t k_step = std::size_t{1} << 30;
  for (std::size_t at = 0; at < text.size(); at += k_step) {
    const auto part = text.substr(at, k_step);
    m_state->out.crc = crc32_gzip_refl(
        m_state->out.crc, reinterpret_cast<const unsigned char*>(part.data()), part.size());
    m_state->out.size += part.size();
    m_state->compressor.zs.flush = NO_FLUSH;
    run_deflate(m_state->compressor.zs, m_state->out.blocks, part);
  }
}

DeflatedText DeflateWriter::finish() && {
  if (m_state->out.size > 0) {
    m_state->compressor.zs.flush = FULL_FLUSH;
    run_deflate(m_state->compressor.zs, m_state->out.blocks, {});
  }
  m_state->out.blocks.shrink_to_fit();
  return std::move(m_state->out);
}

std::string_view gzip_header() {
  static constexpr char k_header[] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, '\xff'};
  return {k_header, sizeof k_header};
}

std::string gzip_tail(const DeflatedText& body, std::string_view tail) {
  Compressor c;
  c.zs.end_of_stream = 1;
  c.zs.flush = NO_FLUSH;
  std::string out;
  run_deflate(c.zs, out, tail);
  const auto tail_crc =
      crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(tail.data()), tail.size());
  const auto crc = static_cast<std::uint32_t>(
      crc32_combine(body.crc, tail_crc, static_cast<z_off_t>(tail.size())));
  const auto size = static_cast<std::uint32_t>(body.size + tail.size());  // ISIZE: mod 2^32
  for (int i = 0; i < 4; ++i) out += static_cast<char>((crc >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((size >> (8 * i)) & 0xff);
  return out;
}

struct GzipInflater::State {
  inflate_state st{};
  bool in_member = false;  // a member started and has not ended
  // The pieces handed on (k_inflate_output bytes, not zeroed: ISA-L writes before we read).
  std::unique_ptr<char[]> out;
};

GzipInflater::GzipInflater() : m_state(std::make_unique<State>()) {}
GzipInflater::~GzipInflater() = default;

bool GzipInflater::complete() const { return !m_state->in_member && m_error.empty(); }

bool GzipInflater::write(std::string_view in, const Output& out, const Room& room) {
  if (!m_error.empty()) return false;
  State& s = *m_state;
  auto* next = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
  std::size_t left = in.size();
  while (left > 0 || s.in_member) {
    if (!s.in_member) {
      isal_inflate_init(&s.st);
      s.st.crc_flag = ISAL_GZIP;  // header, CRC-32 and size checked by ISA-L
      s.in_member = true;
    }
    const auto step = static_cast<std::uint32_t>(std::min<std::size_t>(left, 1u << 30));
    s.st.next_in = next;
    s.st.avail_in = step;
    std::span<char> target = room ? room() : std::span<char>();
    if (target.empty()) {
      if (!s.out) s.out.reset(new char[k_inflate_output]);
      target = {s.out.get(), k_inflate_output};
    }
    target = target.first(std::min<std::size_t>(target.size(), k_inflate_output));
    s.st.next_out = reinterpret_cast<std::uint8_t*>(target.data());
    s.st.avail_out = static_cast<std::uint32_t>(target.size());
    const int rc = isal_inflate(&s.st);
    const std::size_t used = step - s.st.avail_in;
    next += used;
    left -= used;
    const std::size_t produced = target.size() - s.st.avail_out;
    if (rc != ISAL_DECOMP_OK) {
      m_error = "malformed gzip body (ISA-L inflate error " + std::to_string(rc) + ")";
      return false;
    }
    if (produced > 0 && !out(std::string_view(target.data(), produced))) return false;
    if (used == 0 && produced == 0 && s.st.block_state != ISAL_BLOCK_FINISH) {
      if (left == 0) break;
      m_error = "malformed gzip body (inflate made no progress)";
      return false;
    }
    if (s.st.block_state == ISAL_BLOCK_FINISH) {
      s.in_member = false;  // the next bytes, if any, start another member
      continue;
    }
    if (left == 0 && produced < target.size()) break;  // needs more input
  }
  return true;
}

Expected<std::string> inflate_text(const DeflatedText& deflated) {
  std::string text(deflated.size + 1, '\0');  // one spare byte: an over-long stream shows
  if (!deflated.blocks.empty()) {
    inflate_state st{};
    isal_inflate_init(&st);
    st.crc_flag = ISAL_DEFLATE;
    st.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(deflated.blocks.data()));
    st.avail_in = static_cast<std::uint32_t>(deflated.blocks.size());
    st.next_out = reinterpret_cast<std::uint8_t*>(text.data());
    st.avail_out = static_cast<std::uint32_t>(text.size());
    if (isal_inflate(&st) != ISAL_DECOMP_OK || st.avail_in != 0 || st.total_out != deflated.size)
      return Failure{FailureReason::internal, "deflated text does not inflate to its size", 0};
  }
  text.resize(deflated.size);
  if (crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(text.data()), text.size()) !=
      deflated.crc)
    return Failure{FailureReason::internal, "deflated text fails its CRC-32", 0};
  return text;
}

}  // namespace kci
