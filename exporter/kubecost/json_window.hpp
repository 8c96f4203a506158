#pragma once
// A bounded window over a JSON text that arrives in pieces. simdjson's stage 1, in the kernel
// simdjson picked for this CPU at run time (haswell, icelake, westmere, arm64 or fallback: the
// Debian library carries them all), indexes every structural character of a window once; a value
// is then parsed from those indexes by simdjson's stage 2 into a DOM document, without its bytes
// being scanned again. A window is the bytes kept from the last one (`carry`: at most
// `max_carry`, the start of a value that had not ended) plus about `window_bytes` new ones, so
// memory is bounded by the two and never by the answer.
//
// A window that is not the last may end anywhere: inside a string, an escape, a number or a
// UTF-8 sequence. Stage 1 is run on it in simdjson's streaming mode with a short complete text
// appended after the real bytes ("\" 0 {} \" 0 {}": whether the real bytes end inside a string or
// not, one of its two halves ends outside one, so stage 1 keeps every structural index up to the
// end), and a trailing incomplete UTF-8 sequence is left for the next window. A value belongs to
// the window only when the structural that follows it lies in the real bytes; the caller keeps
// the rest with keep_from() and parses it again in the next window.
#include <simdjson.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kci {

class JsonWindow {
 public:
  static constexpr std::size_t k_tail_bytes = 13;  // the text appended after the real bytes
  JsonWindow(std::size_t max_carry, std::size_t window_bytes);

  // Takes as many of `bytes` as fit (up to the carry plus window_bytes); returns how many.
  // Bytes already in place (written into room()) are taken without a copy.
  std::size_t append(std::string_view bytes);
  // The free part of the buffer, where the next bytes may be written before append() of them.
  std::span<char> room() {
    return {m_buffer.get() + m_len,
            m_carry + m_window_bytes > m_len ? m_carry + m_window_bytes - m_len : 0};
  }
  // Enough new bytes since the last window to index another.
  bool full() const { return m_len >= m_carry + m_window_bytes; }
  std::size_t size() const { return m_len; }
  std::size_t max_carry() const { return m_capacity - m_window_bytes - k_tail_bytes; }
  // Empties the window for another text; its buffers stay (mapped and touched).
  void clear();

  // Indexes the window's structural characters. `final`: the text ends with this window (an
  // incomplete UTF-8 sequence at its end is an error, not the next window's).
  simdjson::error_code index(bool final);
  // Structural indexes found by index(); those at or past real_end() are the appended text's.
  // indexes()[count()] is one more, at a '\0' after the text.
  std::uint32_t count() const { return m_count; }
  std::uint32_t position(std::uint32_t i) const { return m_impl->structural_indexes[i]; }
  char at(std::uint32_t i) const { return m_buffer[position(i)]; }
  // Whether structural i is one of the real bytes.
  bool real(std::uint32_t i) const { return i < m_count && position(i) < m_real_end; }
  std::size_t real_end() const { return m_real_end; }
  // The window's text (padded) and its structural indexes, for JsonCursor.
  const char* text() const { return m_buffer.get(); }
  const std::uint32_t* indexes() const { return m_impl->structural_indexes.get(); }

  // Parses the one value that starts at structural i into document(); `next` is the structural
  // after it. Not SUCCESS when the value is malformed, too deep, or runs past the real bytes.
  simdjson::error_code parse(std::uint32_t i, std::uint32_t& next);
  simdjson::dom::element document() const { return m_value; }
  // Where the container or token that starts at structural i ends (one past its last byte), when
  // that is within the real bytes: a parse failure on such a value is the text's, not the
  // window's end.
  std::optional<std::size_t> end_within(std::uint32_t i) const;

  // Keeps the bytes from `byte` on as the start of the next window (the carry), and counts the
  // others as done. Absolute offsets (for messages) go on from there.
  void keep_from(std::size_t byte);
  std::size_t carry() const { return m_carry; }
  std::uint64_t offset() const { return m_offset; }  // absolute offset of the window's byte 0

 private:
  std::size_t m_window_bytes;
  std::size_t m_capacity;
  std::unique_ptr<char[]> m_buffer;
  std::size_t m_len = 0;       // bytes held
  std::size_t m_carry = 0;     // of which kept from the last window
  std::size_t m_real_end = 0;  // bytes indexed as real by the last index()
  std::uint64_t m_offset = 0;
  std::uint32_t m_count = 0;
  std::array<char, 3> m_held_bytes{};  // an incomplete UTF-8 sequence the appended text covers
  std::size_t m_held = 0;
  std::unique_ptr<simdjson::internal::dom_parser_implementation> m_impl;
  simdjson::dom::document m_document;
  simdjson::dom::parser m_numbers;  // a number parsed alone (see parse())
  std::string m_number;
  simdjson::dom::element m_value;  // the last value parse() read
};

}  // namespace kci
