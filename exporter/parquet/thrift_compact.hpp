#pragma once
// A writer for the Thrift compact protocol, enough for Parquet's footer and page headers
// (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kci::thrift {

enum class Type : std::uint8_t {
  bool_true = 1,
  bool_false = 2,
  i8 = 3,
  i16 = 4,
  i32 = 5,
  i64 = 6,
  double_ = 7,
  binary = 8,
  list = 9,
  set = 10,
  map = 11,
  struct_ = 12
};

class CompactWriter {
 public:
  explicit CompactWriter(std::string& out) : m_out(out) {}

  void begin_struct() { m_last_field.push_back(0); }
  void end_struct() {
    m_out.push_back(0);  // stop field
    m_last_field.pop_back();
  }
  void field_i32(int16_t id, int32_t v) {
    header(id, Type::i32);
    varint(zigzag(v));
  }
  void field_i64(int16_t id, int64_t v) {
    header(id, Type::i64);
    varint(zigzag(v));
  }
  void field_bool(int16_t id, bool v) { header(id, v ? Type::bool_true : Type::bool_false); }
  void field_binary(int16_t id, std::string_view v) {
    header(id, Type::binary);
    binary(v);
  }
  // A nested struct field: call begin_struct()/end_struct() around its fields.
  void field_struct(int16_t id) { header(id, Type::struct_); }
  // A list field of `size` elements of `elem`; then write the elements.
  void field_list(int16_t id, Type elem, std::size_t size) {
    header(id, Type::list);
    list_header(elem, size);
  }
  // List elements.
  void elem_i32(int32_t v) { varint(zigzag(v)); }
  void elem_binary(std::string_view v) { binary(v); }

 private:
  static std::uint64_t zigzag(int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      m_out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    m_out.push_back(static_cast<char>(v));
  }
  void binary(std::string_view v) {
    varint(v.size());
    m_out.append(v);
  }
  void header(int16_t id, Type type) {
    int16_t delta = static_cast<int16_t>(id - m_last_field.back());
    if (delta > 0 && delta <= 15) {
      m_out.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
    } else {
      m_out.push_back(static_cast<char>(type));
      varint(zigzag(id));
    }
    m_last_field.back() = id;
  }
  void list_header(Type elem, std::size_t size) {
    if (size < 15) {
      m_out.push_back(static_cast<char>((size << 4) | static_cast<int>(elem)));
    } else {
      m_out.push_back(static_cast<char>(0xf0 | static_cast<int>(elem)));
      varint(size);
    }
  }

  std::string& m_out;
  std::vector<int16_t> m_last_field{0};
};

}  // namespace kci::thrift
