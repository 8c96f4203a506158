#pragma once
// Reads JSON values from a JsonWindow's structural indexes without building a DOM, as simdjson's
// On-Demand API reads a document: what a caller asks for is converted and checked in full (a
// number against JSON's grammar and simdjson's ranges; a string's escapes, surrogates included);
// what it skips is checked for structure only: brackets, keys, ':' and ',', nesting up to 1024
// levels, atoms (true/false/null) and where each string ends, but not the spelling of a skipped
// number or the escapes of a skipped string. Stage 1 (JsonWindow::index) has already checked UTF-8
// everywhere and that no string holds a raw control character. Object keys are compared as
// written, as On-Demand compares them: an escaped spelling of a key is another key. Errors are
// simdjson's codes, for the same messages.
//
// A token's text runs from its structural index to the next one (less whitespace): a scalar is
// never scanned for its end. Reading past the window's indexes is an error, never a read out of
// bounds; a value that runs into the text JsonWindow appends after the real bytes may read as
// malformed or as whole, so callers check where it ended (JsonWindow::real()).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/json_window.hpp"

namespace kci {

class JsonCursor {
 public:
  static constexpr std::size_t k_max_depth = 1024;  // simdjson's default: deeper fails
  static constexpr std::size_t k_readable_after = 32;

  JsonCursor();
  // Reads `window`'s current indexes; forgets the strings unescaped before.
  void reset(const JsonWindow& window);

  // The byte at structural i; i <= the window's count(): the index after the last one points at
  // a '\0' (JsonWindow::index), which no rule accepts, so no read goes further.
  char at(std::uint32_t i) const { return m_text[m_index[i]]; }

  // Each of these reads the value at structural `i` (of the kind named; else INCORRECT_TYPE, `i`
  // unchanged) and moves `i` past it. `depth`: the levels already open around the value.
  simdjson::error_code skip(std::uint32_t& i, std::size_t depth) {
    const char c = at(i);
    if (c == '"') {
      std::string_view ignored;
      return raw_string(i, ignored);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {  // a skipped number: not checked (see above)
      ++i;
      return simdjson::SUCCESS;
    }
    if (c == 'n' && token_end(i) == m_index[i] + 4 &&
        std::memcmp(m_text + m_index[i], "null", 4) == 0) {
      ++i;  // the commonest atom, here without a call
      return simdjson::SUCCESS;
    }
    return skip_other(i, depth);
  }
  // The unescaped text; a view into the window, or into the cursor for a string that held an
  // escape: valid until reset(). Either way k_readable_after bytes from its start may be read (for
  // word-wise compares), even past its end: the window's text and padding, or zeros.
  simdjson::error_code string(std::uint32_t& i, std::string_view& out) {
    if (auto err = raw_string(i, out)) return err;
    if (has_backslash(out)) return unescape(i - 1, out);
    return simdjson::SUCCESS;
  }
  simdjson::error_code number(std::uint32_t& i, double& out);

  // Calls on_field(key, i) for each member of the object at `i`; on_field must read or skip the
  // value at `i` (one level deeper than the object's `depth`) and return its error, if any.
  template <class OnField>
  simdjson::error_code object(std::uint32_t& i, std::size_t depth, OnField&& on_field) {
    if (at(i) != '{') return simdjson::INCORRECT_TYPE;
    if (depth >= k_max_depth) return simdjson::DEPTH_ERROR;
    ++i;
    if (at(i) == '}') {
      ++i;
      return simdjson::SUCCESS;
    }
    for (;;) {
      std::string_view key;
      if (at(i) != '"') return simdjson::TAPE_ERROR;
      if (auto err = raw_string(i, key)) return err;
      if (at(i) != ':') return simdjson::TAPE_ERROR;
      ++i;
      if (auto err = on_field(key, i)) return err;
      const char c = at(i++);
      if (c == '}') return simdjson::SUCCESS;
      if (c != ',') return simdjson::TAPE_ERROR;
    }
  }

 private:
  // Where the token at structural i ends: the next index, less whitespace.
  std::size_t token_end(std::uint32_t i) const {
    std::size_t to = m_index[i + 1];
    while (to > m_index[i] + 1 && is_space(m_text[to - 1])) --to;
    return to;
  }
  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  // The string at structural i as written (its closing quote checked, its escapes not).
  simdjson::error_code raw_string(std::uint32_t& i, std::string_view& out) {
    if (at(i) != '"') return simdjson::INCORRECT_TYPE;
    const std::size_t from = m_index[i] + 1;
    const std::size_t to = token_end(i);
    if (to <= from || m_text[to - 1] != '"') return simdjson::STRING_ERROR;
    out = {m_text + from, to - 1 - from};
    ++i;
    return simdjson::SUCCESS;
  }
  static bool has_backslash(std::string_view s);  // s: readable k_readable_after from its start
  // The string at structural i, which holds an escape: checked and unescaped into the cursor.
  simdjson::error_code unescape(std::uint32_t i, std::string_view& out);
  // skip() of an atom, an object or an array.
  simdjson::error_code skip_other(std::uint32_t& i, std::size_t depth);
  simdjson::error_code skip_atom(std::uint32_t& i);

  const char* m_text = nullptr;
  const std::uint32_t* m_index = nullptr;
  std::vector<char> m_closers;  // skip(): the bracket each open level waits for
  // Strings that held an escape, unescaped by simdjson's own string parser (rare: Kubecost's
  // names and labels are plain); a deque, so earlier views survive later ones.
  std::deque<std::string> m_unescaped;
  std::size_t m_unescaped_used = 0;
  std::string m_padded;
  simdjson::dom::parser m_string_parser;
};

}  // namespace kci
