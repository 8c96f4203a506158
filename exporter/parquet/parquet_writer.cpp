#include "exporter/parquet/parquet_writer.hpp"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "exporter/parquet/thrift_compact.hpp"

namespace kci::parquet {
namespace {

// parquet.thrift enum values.
enum PhysicalType : int32_t { k_int64 = 2, k_double = 5, k_byte_array = 6 };
enum Encoding : int32_t { k_plain = 0, k_rle = 3, k_rle_dictionary = 8 };
enum PageType : int32_t { k_data_page = 0, k_dictionary_page = 2 };
enum ConvertedType : int32_t { k_utf8 = 0, k_timestamp_micros = 10 };
constexpr int32_t k_optional = 1;

void varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

template <class T>
void put_le(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // x86-64 and arm64 are little-endian
  out.append(buf, sizeof(T));
}

int bit_width_for(std::uint32_t max_value) {
  int w = 0;
  while (max_value) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

void flush_literals(std::vector<std::uint32_t>& lit, int bit_width, std::string& out) {
  if (lit.empty()) return;
  while (lit.size() % 8) lit.push_back(0);  // only ever padded at the end of the stream
  varint(out, ((lit.size() / 8) << 1) | 1);
  std::uint64_t acc = 0;
  int bits = 0;
  for (std::uint32_t v : lit) {
    acc |= static_cast<std::uint64_t>(v) << bits;
    bits += bit_width;
    while (bits >= 8) {
      out.push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push_back(static_cast<char>(acc & 0xff));
  lit.clear();
}

}  // namespace

void rle_hybrid_encode(const std::vector<std::uint32_t>& values, int bit_width, std::string& out) {
  const int value_bytes = (bit_width + 7) / 8;
  std::vector<std::uint32_t> lit;
  lit.reserve(64);
  std::size_t i = 0;
  while (i < values.size()) {
    std::size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    if (run < 8) {
      lit.insert(lit.end(), values.begin() + i, values.begin() + i + run);
      if (lit.size() >= 512 && lit.size() % 8 == 0) flush_literals(lit, bit_width, out);
      i += run;
      continue;
    }
    // Top the literals up to a multiple of 8 from the run: padding is allowed only at the end.
    std::size_t take = (8 - lit.size() % 8) % 8;
    lit.insert(lit.end(), take, values[i]);
    flush_literals(lit, bit_width, out);
    std::size_t rest = run - take;
    varint(out, rest << 1);
    for (int b = 0; b < value_bytes; ++b)
      out.push_back(static_cast<char>((values[i] >> (8 * b)) & 0xff));
    i += run;
  }
  flush_literals(lit, bit_width, out);
}

struct Writer::Column {
  ColumnSpec spec;
  bool set_this_row = false;
  // The current page: definition levels (1 = present, 0 = NULL) and the values, as dictionary
  // indices (strings while the dictionary lasts) or PLAIN bytes (numbers, strings past it).
  std::vector<std::uint8_t> def_levels;
  std::vector<std::uint32_t> indices;
  std::string plain;
  // The row group's dictionary (string columns), in insertion order.
  std::unordered_map<std::string, std::uint32_t> dict_index;
  std::vector<const std::string*> dict_values;  // pointers into dict_index keys
  std::size_t dict_bytes = 0;                   // the PLAIN dictionary page's size
  std::size_t dict_memory = 0;                  // what the dictionary takes in memory
  bool plain_strings = false;                   // fell back to PLAIN for this row group
  // The row group's data pages, header and compressed body each, in the spill file.
  struct PageRef {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
  };
  std::vector<PageRef> pages;
  std::uint64_t chunk_raw = 0, chunk_compressed = 0, chunk_values = 0;
  // statistics
  std::string min, max;
  bool has_minmax = false;
  std::uint64_t nulls = 0;

  std::size_t page_memory() const {
    return def_levels.size() + indices.size() * sizeof(std::uint32_t) + plain.size();
  }

  // Sizes the page's buffers once, so they never double past the page limit.
  void reserve_page(std::size_t page_bytes, bool is_string) {
    const std::size_t value = is_string ? sizeof(std::uint32_t) : 8;
    def_levels.reserve(page_bytes / (1 + value) + 1);
    if (is_string) {
      indices.reserve(page_bytes / (1 + value) + 1);
    } else {
      plain.reserve(page_bytes + 8);
    }
  }

  // Starts the next row group; the dictionary's memory is handed back.
  void reset() {
    dict_index = {};
    dict_values = {};
    dict_bytes = 0;
    dict_memory = 0;
    plain_strings = false;
    pages.clear();
    chunk_raw = chunk_compressed = chunk_values = 0;
    min.clear();
    max.clear();
    has_minmax = false;
    nulls = 0;
  }
};

// A dictionary entry's memory besides its bytes: hash node and std::string header (x86-64
// libstdc++), the insertion-order pointer and a bucket.
constexpr std::size_t k_dict_entry = 64 + sizeof(void*) * 2 + sizeof(std::uint32_t);

Writer::Writer(std::vector<ColumnSpec> schema, WriterOptions options, ByteSink sink)
    : m_schema(std::move(schema)), m_options(std::move(options)), m_sink(std::move(sink)) {
  for (const auto& spec : m_schema) {
    m_columns.push_back(std::make_unique<Column>());
    m_columns.back()->spec = spec;
  }
  if (m_options.row_group_rows == 0) m_options.row_group_rows = 1;
  if (m_options.page_bytes == 0) m_options.page_bytes = 1;
  for (auto& c : m_columns)
    c->reserve_page(m_options.page_bytes, c->spec.type == ColumnType::string);
  if (!m_spill.open(m_options.work_dir)) {
    fail(m_spill.error());
    return;
  }
  write("PAR1");
}

Writer::~Writer() = default;

void Writer::fail(std::string error) {
  if (m_failed) return;
  m_failed = true;
  m_error = std::move(error);
}

bool Writer::write(std::string_view bytes) {
  if (m_failed) return false;
  if (!m_sink(bytes)) {
    fail("the output refused the bytes");
    return false;
  }
  m_offset += bytes.size();
  return true;
}

void Writer::set_string(std::size_t column, std::string_view value) {
  Column& c = *m_columns[column];
  if (c.set_this_row) return;
  c.set_this_row = true;
  if (!c.plain_strings) {
    // Heterogeneous lookup would spare this copy; std::unordered_map<std::string> lacks it here.
    auto it = c.dict_index.find(std::string(value));
    if (it == c.dict_index.end()) {
      const std::size_t cost = value.size() + k_dict_entry;
      if (c.dict_memory + cost > m_options.dictionary_bytes ||
          m_dictionaries + cost > m_options.dictionaries_bytes) {
        // Full: the pages so far keep their indices, the rest of the row group is PLAIN.
        flush_page(c);
        c.plain_strings = true;
        c.plain.reserve(m_options.page_bytes + value.size() + 4);
      } else {
        it = c.dict_index
                 .emplace(std::string(value), static_cast<std::uint32_t>(c.dict_values.size()))
                 .first;
        c.dict_values.push_back(&it->first);
        c.dict_bytes += value.size() + 4;
        c.dict_memory += cost;
        m_dictionaries += cost;
      }
    }
    if (!c.plain_strings) c.indices.push_back(it->second);
  }
  if (c.plain_strings) {
    put_le(c.plain, static_cast<std::uint32_t>(value.size()));
    c.plain.append(value);
  }
  c.def_levels.push_back(1);
  // Statistics compare bytes as unsigned, as the STRING logical type orders them.
  auto less = [](std::string_view a, std::string_view b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
  };
  if (!c.has_minmax) {
    c.min = value;
    c.max = value;
    c.has_minmax = true;
  } else {
    if (less(value, c.min)) c.min = value;
    if (less(c.max, value)) c.max = value;
  }
}

void Writer::set_double(std::size_t column, double value) {
  Column& c = *m_columns[column];
  if (c.set_this_row || std::isnan(value)) return;  // NaN stays NULL
  c.set_this_row = true;
  c.def_levels.push_back(1);
  put_le(c.plain, value);
  double mn, mx;
  if (c.has_minmax) {
    std::memcpy(&mn, c.min.data(), 8);
    std::memcpy(&mx, c.max.data(), 8);
  }
  if (!c.has_minmax || value < mn) {
    c.min.assign(reinterpret_cast<const char*>(&value), 8);
  }
  if (!c.has_minmax || value > mx) {
    c.max.assign(reinterpret_cast<const char*>(&value), 8);
  }
  c.has_minmax = true;
}

void Writer::set_timestamp(std::size_t column, std::int64_t value) {
  Column& c = *m_columns[column];
  if (c.set_this_row) return;
  c.set_this_row = true;
  c.def_levels.push_back(1);
  put_le(c.plain, value);
  std::int64_t mn = 0, mx = 0;
  if (c.has_minmax) {
    std::memcpy(&mn, c.min.data(), 8);
    std::memcpy(&mx, c.max.data(), 8);
  }
  if (!c.has_minmax || value < mn) c.min.assign(reinterpret_cast<const char*>(&value), 8);
  if (!c.has_minmax || value > mx) c.max.assign(reinterpret_cast<const char*>(&value), 8);
  c.has_minmax = true;
}

void Writer::end_row() {
  for (auto& c : m_columns) {
    if (!c->set_this_row) {
      c->def_levels.push_back(0);
      ++c->nulls;
    }
    c->set_this_row = false;
    if (c->page_memory() >= m_options.page_bytes) flush_page(*c);
  }
  ++m_rows_in_group;
  ++m_total_rows;
  if (m_rows_in_group >= m_options.row_group_rows) flush_row_group();
}

std::string Writer::compress(std::string_view raw) {
  std::string out;
  switch (m_options.codec) {
    case Codec::uncompressed:
      out.assign(raw);
      break;
    case Codec::snappy: {
      out.resize(snappy::MaxCompressedLength(raw.size()));
      std::size_t n = 0;
      snappy::RawCompress(raw.data(), raw.size(), out.data(), &n);
      out.resize(n);
      break;
    }
    case Codec::zstd: {
      out.resize(ZSTD_compressBound(raw.size()));
      std::size_t n =
          ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), m_options.zstd_level);
      if (ZSTD_isError(n)) {
        fail(std::string("zstd: ") + ZSTD_getErrorName(n));
        n = 0;
      }
      out.resize(n);
      break;
    }
  }
  return out;
}

namespace {

void write_statistics(thrift::CompactWriter& w, int16_t field, const std::string& min,
                      const std::string& max, bool has_minmax, std::uint64_t nulls) {
  w.field_struct(field);
  w.begin_struct();
  w.field_i64(3, static_cast<int64_t>(nulls));
  if (has_minmax) {
    w.field_binary(5, max);  // max_value
    w.field_binary(6, min);  // min_value
  }
  w.end_struct();
}

std::string page_header(int32_t type, std::size_t raw, std::size_t compressed, int32_t num_values,
                        int32_t encoding) {
  std::string h;
  thrift::CompactWriter w(h);
  w.begin_struct();
  w.field_i32(1, type);
  w.field_i32(2, static_cast<int32_t>(raw));
  w.field_i32(3, static_cast<int32_t>(compressed));
  if (type == k_dictionary_page) {
    w.field_struct(7);
    w.begin_struct();
    w.field_i32(1, num_values);
    w.field_i32(2, k_plain);
    w.end_struct();
  } else {
    w.field_struct(5);
    w.begin_struct();
    w.field_i32(1, num_values);
    w.field_i32(2, encoding);
    w.field_i32(3, k_rle);  // definition levels
    w.field_i32(4, k_rle);  // repetition levels (none: flat schema)
    w.end_struct();
  }
  w.end_struct();
  return h;
}

int32_t codec_id(Codec c) { return c == Codec::snappy ? 1 : c == Codec::zstd ? 6 : 0; }

int32_t physical(ColumnType t) {
  return t == ColumnType::string ? k_byte_array : t == ColumnType::float64 ? k_double : k_int64;
}

}  // namespace

bool Writer::flush_page(Column& c) {
  if (m_failed) {  // nothing more reaches the spill; the buffers stay a page, not the day
    c.def_levels.clear();
    c.indices.clear();
    c.plain.clear();
    return false;
  }
  if (c.def_levels.empty()) return true;
  // Definition levels (length-prefixed RLE, bit width 1), then the values. A page without
  // dictionary indices (all NULL, numbers, or strings past the dictionary) is PLAIN.
  const bool dictionary = !c.indices.empty();
  std::string page;
  std::string levels;
  m_levels.assign(c.def_levels.begin(), c.def_levels.end());
  rle_hybrid_encode(m_levels, 1, levels);
  put_le(page, static_cast<std::uint32_t>(levels.size()));
  page += levels;
  if (dictionary) {
    const int width = bit_width_for(static_cast<std::uint32_t>(c.dict_values.size() - 1));
    page.push_back(static_cast<char>(width));
    rle_hybrid_encode(c.indices, width, page);
  } else {
    page += c.plain;
  }
  std::string body = compress(page);
  if (m_failed) return false;
  const std::string header =
      page_header(k_data_page, page.size(), body.size(), static_cast<int32_t>(c.def_levels.size()),
                  dictionary ? k_rle_dictionary : k_plain);
  std::uint64_t at = 0, ignored = 0;
  if (!m_spill.append(header, at) || !m_spill.append(body, ignored)) {
    fail(m_spill.error());
    return false;
  }
  c.pages.push_back({at, header.size() + body.size()});
  c.chunk_raw += header.size() + page.size();
  c.chunk_compressed += header.size() + body.size();
  c.chunk_values += c.def_levels.size();
  c.def_levels.clear();
  c.indices.clear();
  c.plain.clear();
  return true;
}

bool Writer::flush_row_group() {
  if (m_rows_in_group == 0 || m_failed) return !m_failed;
  for (auto& c : m_columns)
    if (!flush_page(*c)) return false;
  std::string rg;
  thrift::CompactWriter w(rg);
  w.begin_struct();
  w.field_list(1, thrift::Type::struct_, m_columns.size());
  std::uint64_t group_raw = 0, group_compressed = 0;
  const std::uint64_t group_offset = m_offset;
  const ByteSink to_output = [this](std::string_view bytes) { return write(bytes); };
  for (auto& cp : m_columns) {
    Column& c = *cp;
    // A string chunk that never saw a value has no dictionary: its pages are all PLAIN.
    const bool dictionary = !c.dict_values.empty();
    const std::uint64_t chunk_start = m_offset;
    int64_t dict_offset = -1;

    if (dictionary) {
      std::string dict;
      dict.reserve(c.dict_bytes);
      for (const std::string* v : c.dict_values) {
        put_le(dict, static_cast<uint32_t>(v->size()));
        dict.append(*v);
      }
      std::string body = compress(dict);
      std::string header = page_header(k_dictionary_page, dict.size(), body.size(),
                                       static_cast<int32_t>(c.dict_values.size()), k_plain);
      dict_offset = static_cast<int64_t>(m_offset);
      c.chunk_raw += header.size() + dict.size();
      c.chunk_compressed += header.size() + body.size();
      if (!write(header) || !write(body)) return false;
    }

    const int64_t data_offset = static_cast<int64_t>(m_offset);
    for (const auto& p : c.pages) {
      if (!m_spill.copy_out(p.offset, p.size, to_output)) {
        if (!m_failed) fail(m_spill.error());
        return false;
      }
    }

    // ColumnChunk
    w.begin_struct();
    w.field_i64(2, static_cast<int64_t>(chunk_start));
    w.field_struct(3);
    w.begin_struct();
    w.field_i32(1, physical(c.spec.type));
    if (dictionary) {
      w.field_list(2, thrift::Type::i32, 3);
      w.elem_i32(k_plain);
      w.elem_i32(k_rle);
      w.elem_i32(k_rle_dictionary);
    } else {
      w.field_list(2, thrift::Type::i32, 2);
      w.elem_i32(k_plain);
      w.elem_i32(k_rle);
    }
    w.field_list(3, thrift::Type::binary, 1);
    w.elem_binary(c.spec.name);
    w.field_i32(4, codec_id(m_options.codec));
    w.field_i64(5, static_cast<int64_t>(c.chunk_values));
    w.field_i64(6, static_cast<int64_t>(c.chunk_raw));
    w.field_i64(7, static_cast<int64_t>(c.chunk_compressed));
    w.field_i64(9, data_offset);
    if (dict_offset >= 0) w.field_i64(11, dict_offset);
    write_statistics(w, 12, c.min, c.max, c.has_minmax, c.nulls);
    w.end_struct();
    w.end_struct();
    group_raw += c.chunk_raw;
    group_compressed += c.chunk_compressed;
    c.reset();
  }
  m_dictionaries = 0;
  if (!m_spill.clear()) {
    fail(m_spill.error());
    return false;
  }
  w.field_i64(2, static_cast<int64_t>(group_raw));
  w.field_i64(3, static_cast<int64_t>(m_rows_in_group));
  w.field_i64(5, static_cast<int64_t>(group_offset));
  w.field_i64(6, static_cast<int64_t>(group_compressed));
  w.end_struct();
  m_row_group_meta.push_back(std::move(rg));
  m_rows_in_group = 0;
  return true;
}

Expected<FileSummary> Writer::finish() {
  flush_row_group();
  m_spill.close();
  if (m_failed) return Failure{FailureReason::parquet, "parquet: " + m_error};
  std::string meta;
  thrift::CompactWriter w(meta);
  w.begin_struct();
  w.field_i32(1, 2);  // version
  w.field_list(2, thrift::Type::struct_, m_columns.size() + 1);
  w.begin_struct();  // root
  w.field_binary(4, "schema");
  w.field_i32(5, static_cast<int32_t>(m_columns.size()));
  w.end_struct();
  for (const auto& c : m_columns) {
    w.begin_struct();
    w.field_i32(1, physical(c->spec.type));
    w.field_i32(3, k_optional);
    w.field_binary(4, c->spec.name);
    if (c->spec.type == ColumnType::string) {
      w.field_i32(6, k_utf8);
      w.field_struct(10);
      w.begin_struct();
      w.field_struct(1);  // STRING
      w.begin_struct();
      w.end_struct();
      w.end_struct();
    } else if (c->spec.type != ColumnType::float64) {
      const bool nanos = c->spec.type == ColumnType::local_timestamp_nanos;
      // MICROS carries the converted type too, naive ones included, as Arrow does for old
      // readers (ARROW-5878, parquet/types.cc TimestampLogicalType force_set_converted_type);
      // NANOS has no converted type in the format (parquet-format LogicalTypes.md, TIMESTAMP).
      if (!nanos) w.field_i32(6, k_timestamp_micros);
      w.field_struct(10);
      w.begin_struct();
      w.field_struct(8);  // TIMESTAMP
      w.begin_struct();
      w.field_bool(1, c->spec.type == ColumnType::timestamp_micros);  // isAdjustedToUTC
      w.field_struct(2);                                              // unit
      w.begin_struct();
      w.field_struct(nanos ? 3 : 2);  // TimeUnit: NANOS = 3, MICROS = 2
      w.begin_struct();
      w.end_struct();
      w.end_struct();
      w.end_struct();
      w.end_struct();
    }
    w.end_struct();
  }
  w.field_i64(3, static_cast<int64_t>(m_total_rows));
  w.field_list(4, thrift::Type::struct_, m_row_group_meta.size());
  for (const auto& rg : m_row_group_meta) meta += rg;
  w.field_binary(6, m_options.created_by);
  // Every column uses the type-defined order, so readers may trust min_value/max_value.
  w.field_list(7, thrift::Type::struct_, m_columns.size());
  for (std::size_t i = 0; i < m_columns.size(); ++i) {
    w.begin_struct();
    w.field_struct(1);
    w.begin_struct();
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
  std::string tail;
  put_le(tail, static_cast<uint32_t>(meta.size()));
  tail += "PAR1";
  if (!write(meta) || !write(tail)) return Failure{FailureReason::parquet, "parquet: " + m_error};
  return FileSummary{m_total_rows, m_row_group_meta.size(), m_offset};
}

}  // namespace kci::parquet
