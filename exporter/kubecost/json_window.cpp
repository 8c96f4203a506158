#include "exporter/kubecost/json_window.hpp"

#include <cstring>
#include <new>

namespace kci {
namespace {

// Appended after a window's real bytes so that stage 1 in streaming mode keeps every structural
// index: see the header.
constexpr std::string_view k_tail = "\" 0 {} \" 0 {}";
static_assert(k_tail.size() == JsonWindow::k_tail_bytes);
// simdjson's default nesting limit: deeper values fail to parse, they never recurse.
constexpr std::size_t k_max_depth = 1024;

// How many bytes at the end of [p, p + n) are an incomplete UTF-8 sequence (0 to 3).
std::size_t incomplete_utf8_tail(const char* p, std::size_t n) {
  for (std::size_t k = 1; k <= 3 && k <= n; ++k) {
    const auto b = static_cast<unsigned char>(p[n - k]);
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    if (b < 0xC0) return 0;            // ASCII: nothing open
    const std::size_t length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    return length > k ? k : 0;
  }
  return 0;
}

}  // namespace

JsonWindow::JsonWindow(std::size_t max_carry, std::size_t window_bytes)
    : m_window_bytes(window_bytes),
      m_capacity(max_carry + window_bytes + k_tail.size()),
      m_buffer(new char[m_capacity + simdjson::SIMDJSON_PADDING]) {
  const simdjson::implementation* active = simdjson::get_active_implementation();
  if (active->create_dom_parser_implementation(m_capacity, k_max_depth, m_impl) ||
      m_document.allocate(m_capacity))
    throw std::bad_alloc();
}

std::size_t JsonWindow::append(std::string_view bytes) {
  const std::size_t room = m_carry + m_window_bytes > m_len ? m_carry + m_window_bytes - m_len : 0;
  const std::size_t take = bytes.size() < room ? bytes.size() : room;
  // Bytes written into room() are in place; those after a prefix the stream skipped overlap it.
  if (bytes.data() != m_buffer.get() + m_len)
    std::memmove(m_buffer.get() + m_len, bytes.data(), take);
  m_len += take;
  return take;
}

simdjson::error_code JsonWindow::index(bool final) {
  // The last window keeps an incomplete UTF-8 sequence: stage 1 refuses it, as it should.
  m_real_end = final ? m_len : m_len - incomplete_utf8_tail(m_buffer.get(), m_len);
  m_held = m_len - m_real_end;  // the appended text covers them until keep_from()
  std::memcpy(m_held_bytes.data(), m_buffer.get() + m_real_end, m_held);
  std::memcpy(m_buffer.get() + m_real_end, k_tail.data(), k_tail.size());
  const std::size_t indexed = m_real_end + k_tail.size();
  std::memset(m_buffer.get() + indexed, 0, simdjson::SIMDJSON_PADDING);
  m_count = 0;
  const auto* text = reinterpret_cast<const std::uint8_t*>(m_buffer.get());
  auto err = m_impl->stage1(text, indexed, simdjson::stage1_mode::streaming_final);
  if (err) return err;
  m_count = m_impl->n_structural_indexes;
  // One more index, at the first byte of padding ('\0'): readers stop there (json_cursor.hpp).
  // The array has room for it: simdjson sizes it for the capacity rounded up to 64, plus 9
  // (simdjson src/generic/stage1/allocate.h, set_capacity), and there are at most as many
  // indexes as bytes indexed.
  m_impl->structural_indexes[m_count] = static_cast<std::uint32_t>(indexed);
  return err;
}

simdjson::error_code JsonWindow::parse(std::uint32_t i, std::uint32_t& next) {
  const char c = at(i);
  if (c == '-' || (c >= '0' && c <= '9')) {
    // simdjson 3.0.1's stage 2 copies everything after a number that is a document's root
    // (tape_builder::visit_root_number): the rest of the window, for every such number. The
    // number's own bytes (up to the next index, always there: the appended text has some) are
    // parsed alone instead.
    next = i + 1;
    const std::size_t from = position(i);
    const std::size_t to = position(i + 1);
    m_number.assign(m_buffer.get() + from, to - from);
    m_number.reserve(m_number.size() + simdjson::SIMDJSON_PADDING);
    auto err = m_numbers.parse(m_number.data(), m_number.size(), false).get(m_value);
    return err;
  }
  m_impl->next_structural_index = i;
  auto err = m_impl->stage2_next(m_document);
  next = m_impl->next_structural_index;
  m_value = m_document.root();
  return err;
}

std::optional<std::size_t> JsonWindow::end_within(std::uint32_t i) const {
  const char c = at(i);
  if (c != '{' && c != '[') {
    if (real(i + 1)) return position(i + 1);
    return std::nullopt;
  }
  std::int64_t depth = 0;
  for (std::uint32_t k = i; real(k); ++k) {
    const char d = at(k);
    if (d == '{' || d == '[') {
      ++depth;
    } else if ((d == '}' || d == ']') && --depth == 0) {
      return position(k) + 1;
    }
  }
  return std::nullopt;
}

void JsonWindow::clear() {
  m_len = m_carry = m_real_end = m_held = 0;
  m_offset = 0;
  m_count = 0;
}

void JsonWindow::keep_from(std::size_t byte) {
  std::memcpy(m_buffer.get() + m_len - m_held, m_held_bytes.data(), m_held);
  m_held = 0;
  m_carry = m_len - byte;
  std::memmove(m_buffer.get(), m_buffer.get() + byte, m_carry);
  m_len = m_carry;
  m_offset += byte;
  m_count = 0;
  m_real_end = 0;
}

}  // namespace kci
