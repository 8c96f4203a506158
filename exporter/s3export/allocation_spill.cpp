#include "exporter/s3export/allocation_spill.hpp"

#include <zstd.h>

#include <array>
#include <cstring>
#include <string_view>

namespace kci {
namespace {

// A record: u32 length of what follows; the doubles (the fields, then window start/end and data
// start/end); u64 set index; the 9 property strings; u32 count + strings for the label values,
// then for the annotation values. A string is u32 length + bytes. Host byte order: the file
// never leaves the process that wrote it.
constexpr std::size_t k_properties = 9;
// Far above any record: an allocation is at most 1 MiB of JSON (allocation_stream.hpp).
constexpr std::uint32_t k_max_record = 16u << 20;
constexpr std::size_t k_piece = 256u << 10;  // compressed bytes per write and per read

// The decompressed records, taken as they are needed.
class Decompressed {
 public:
  explicit Decompressed(std::ifstream& file) : m_file(file), m_in(k_piece, '\0') {}
  ~Decompressed() { ZSTD_freeDCtx(m_ctx); }
  Decompressed(const Decompressed&) = delete;
  Decompressed& operator=(const Decompressed&) = delete;

  // Fills `out` with exactly `size` bytes; false at the stream's end or on damage (`clean_end`
  // says which: nothing at all was left).
  bool read(char* out, std::size_t size, bool& clean_end) {
    clean_end = false;
    std::size_t got = 0;
    while (got < size) {
      if (m_pos < m_have.size()) {
        const std::size_t n = std::min(size - got, m_have.size() - m_pos);
        std::memcpy(out + got, m_have.data() + m_pos, n);
        m_pos += n;
        got += n;
        continue;
      }
      if (!refill()) {
        clean_end = got == 0 && m_frame_done;
        return false;
      }
    }
    return true;
  }

 private:
  bool refill() {
    m_have.resize(k_piece);
    m_pos = 0;
    for (;;) {
      if (m_input.pos == m_input.size) {
        m_file.read(m_in.data(), static_cast<std::streamsize>(m_in.size()));
        m_input = {m_in.data(), static_cast<std::size_t>(m_file.gcount()), 0};
        if (m_input.size == 0) {
          m_have.clear();
          return false;
        }
      }
      ZSTD_outBuffer output{m_have.data(), m_have.size(), 0};
      const std::size_t left = ZSTD_decompressStream(m_ctx, &output, &m_input);
      if (ZSTD_isError(left)) {
        m_have.clear();
        m_frame_done = false;
        m_file.setstate(std::ios::badbit);
        return false;
      }
      m_frame_done = left == 0;
      if (output.pos > 0) {
        m_have.resize(output.pos);
        return true;
      }
    }
  }

  std::ifstream& m_file;
  ZSTD_DCtx* m_ctx = ZSTD_createDCtx();
  std::string m_in, m_have;
  std::size_t m_pos = 0;
  ZSTD_inBuffer m_input{nullptr, 0, 0};
  bool m_frame_done = false;
};

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void put_text(std::string& out, std::string_view text) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

void put_list(std::string& out, const std::vector<std::string_view>* values) {
  put<std::uint32_t>(out, values ? static_cast<std::uint32_t>(values->size()) : 0u);
  if (values)
    for (auto v : *values) put_text(out, v);
}

std::array<std::string_view ParsedAllocation::*, k_properties> property_members() {
  return {&ParsedAllocation::name,       &ParsedAllocation::namespace_name,
          &ParsedAllocation::pod,        &ParsedAllocation::cluster,
          &ParsedAllocation::node,       &ParsedAllocation::container,
          &ParsedAllocation::controller, &ParsedAllocation::controller_kind,
          &ParsedAllocation::provider_id};
}

// Reads a record's fields in order; any read past its end marks it bad.
class RecordReader {
 public:
  explicit RecordReader(std::string_view record) : m_rest(record) {}
  bool bad() const { return m_bad; }

  template <class T>
  T take() {
    T value{};
    if (m_rest.size() < sizeof(T)) {
      m_bad = true;
      return value;
    }
    std::memcpy(&value, m_rest.data(), sizeof(T));
    m_rest.remove_prefix(sizeof(T));
    return value;
  }
  std::string_view take_text() {
    const auto n = take<std::uint32_t>();
    if (m_bad || n > m_rest.size()) {
      m_bad = true;
      return {};
    }
    const std::string_view text = m_rest.substr(0, n);
    m_rest.remove_prefix(n);
    return text;
  }
  void take_list(std::vector<std::string_view>& out) {
    out.clear();
    const auto n = take<std::uint32_t>();
    // Each entry takes at least its 4-byte length: a count beyond that is damage.
    if (m_bad || n > m_rest.size() / 4) {
      m_bad = true;
      return;
    }
    for (std::uint32_t i = 0; i < n && !m_bad; ++i) out.push_back(take_text());
  }
  bool at_end() const { return m_rest.empty(); }

 private:
  std::string_view m_rest;
  bool m_bad = false;
};

}  // namespace

struct AllocationSpillWriter::Stream {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ~Stream() { ZSTD_freeCCtx(ctx); }
};

AllocationSpillWriter::AllocationSpillWriter(const std::string& path)
    : m_path(path), m_file(path, std::ios::binary | std::ios::trunc), m_stream(new Stream) {
  // A checksum: a damaged spill fails at its end instead of reading back other numbers.
  if (m_stream->ctx == nullptr ||
      ZSTD_isError(ZSTD_CCtx_setParameter(m_stream->ctx, ZSTD_c_compressionLevel, 1)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(m_stream->ctx, ZSTD_c_checksumFlag, 1)))
    m_stream.reset();
  m_out.resize(k_piece);
}

AllocationSpillWriter::~AllocationSpillWriter() = default;

void AllocationSpillWriter::compress(const char* data, std::size_t size, bool end) {
  if (!ok() || m_failed) return;
  ZSTD_inBuffer input{data, size, 0};
  for (;;) {
    ZSTD_outBuffer output{m_out.data(), m_out.size(), 0};
    const std::size_t left =
        ZSTD_compressStream2(m_stream->ctx, &output, &input, end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) {
      m_failed = true;
      return;
    }
    if (output.pos > 0) m_file.write(m_out.data(), static_cast<std::streamsize>(output.pos));
    const bool drained = end ? left == 0 : input.pos == input.size;
    if (drained) return;
  }
}

void AllocationSpillWriter::append(const ParsedAllocation& a) {
  m_record.clear();
  put<std::uint32_t>(m_record, 0);  // the length, set below
  for (double v : a.values) put(m_record, v);
  for (double v : {a.window_start, a.window_end, a.data_start, a.data_end}) put(m_record, v);
  put<std::uint64_t>(m_record, a.set_index);
  for (auto member : property_members()) put_text(m_record, a.*member);
  put_list(m_record, a.label_values);
  put_list(m_record, a.annotation_values);
  const auto length = static_cast<std::uint32_t>(m_record.size() - sizeof(std::uint32_t));
  std::memcpy(m_record.data(), &length, sizeof length);
  compress(m_record.data(), m_record.size(), false);
  ++m_records;
  m_bytes_in += m_record.size();
}

Expected<void> AllocationSpillWriter::close() {
  compress(nullptr, 0, true);
  m_file.flush();
  const bool written = ok() && !m_failed;
  m_file.close();
  if (!written || !m_file) return Failure{FailureReason::io, "writing " + m_path + " failed"};
  return {};
}

Expected<void> read_allocation_spill(const std::string& path, const AllocationVisitor& visit) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Failure{FailureReason::io, "cannot read " + path};
  Decompressed in_file(file);
  std::string record;
  std::vector<std::string_view> labels, annotations;
  const auto damaged = [&] { return Failure{FailureReason::io, path + " is damaged"}; };
  for (;;) {
    std::uint32_t length = 0;
    bool clean_end = false;
    if (!in_file.read(reinterpret_cast<char*>(&length), sizeof length, clean_end)) {
      if (clean_end) return {};
      return damaged();
    }
    if (length > k_max_record) return damaged();
    record.resize(length);
    if (!in_file.read(record.data(), length, clean_end)) return damaged();
    RecordReader in(record);
    ParsedAllocation a;
    for (double& v : a.values) v = in.take<double>();
    a.window_start = in.take<double>();
    a.window_end = in.take<double>();
    a.data_start = in.take<double>();
    a.data_end = in.take<double>();
    a.set_index = static_cast<std::size_t>(in.take<std::uint64_t>());
    for (auto member : property_members()) a.*member = in.take_text();
    in.take_list(labels);
    in.take_list(annotations);
    if (in.bad() || !in.at_end()) return damaged();
    a.label_values = &labels;
    a.annotation_values = &annotations;
    visit(a);
  }
}

}  // namespace kci
