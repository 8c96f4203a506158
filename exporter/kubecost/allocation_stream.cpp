#include "exporter/kubecost/allocation_stream.hpp"

#include <algorithm>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "exporter/util/padded_buffer.hpp"

namespace kci {
namespace {

constexpr std::size_t k_prefix_bytes = 4096;  // enough for an error page's <title>

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Bit k set when p[k] is one of " \\ { } [ ] (k < n <= 64).
std::uint64_t special_bytes(const char* p, std::size_t n) {
  std::uint64_t mask = 0;
#if defined(__SSE2__)
  std::size_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    const auto eq = [&](char c) { return _mm_cmpeq_epi8(b, _mm_set1_epi8(c)); };
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(eq('"'), eq('\\')), _mm_or_si128(eq('{'), eq('}'))),
                     _mm_or_si128(eq('['), eq(']')));
    mask |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(hit))) << k;
  }
  for (; k < n; ++k) {
#else
  for (std::size_t k = 0; k < n; ++k) {
#endif
    const char c = p[k];
    if (c == '"' || c == '\\' || c == '{' || c == '}' || c == '[' || c == ']')
      mask |= std::uint64_t{1} << k;
  }
  return mask;
}

bool starts_scalar(char c) {
  return c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
}

std::string describe_non_json(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  std::string_view rest = first == std::string_view::npos ? body : body.substr(first);
  if (rest.starts_with("<")) {
    auto t = rest.find("<title>");
    auto e = rest.find("</title>");
    if (t != std::string_view::npos && e != std::string_view::npos && e > t)
      return "HTML page instead of JSON: " +
             std::string(rest.substr(t + 7, std::min<std::size_t>(e - t - 7, 100)));
    return "HTML page instead of JSON";
  }
  std::string snippet;
  for (char c : rest.substr(0, 100)) snippet += (c == '\n' || c == '\r') ? ' ' : c;
  return "not JSON: \"" + snippet + "\"";
}

}  // namespace

AllocationStream::AllocationStream(const ParseOptions& options, const AllocationVisitor& visit,
                                   std::size_t max_allocation_bytes)
    : m_visit(visit),
      m_max(max_allocation_bytes),
      m_decoder(options, max_allocation_bytes),
      m_scalars(max_allocation_bytes + k_body_padding) {
  m_levels.reserve(4);
}

Expected<void> AllocationStream::fail(FailureReason reason, std::string message) {
  m_failure = Failure{reason, std::move(message)};
  return *m_failure;
}

Expected<void> AllocationStream::syntax_error(const char* what) {
  return fail(FailureReason::parse,
              "invalid JSON at byte " + std::to_string(m_offset) + ": " + what);
}

Expected<void> AllocationStream::feed(std::string_view chunk) {
  if (m_failure) return *m_failure;
  const std::size_t n = chunk.size();
  std::size_t i = 0;
  while (i < n) {
    if (m_not_json) {
      const std::size_t take = std::min(n - i, k_prefix_bytes - m_prefix.size());
      m_prefix.append(chunk.data() + i, take);
      m_offset += n - i;
      if (m_prefix.size() >= k_prefix_bytes)
        return fail(FailureReason::parse, describe_non_json(m_prefix));
      return {};
    }
    if (m_capture != Capture::none) {
      const Capture kind = m_capture;
      const std::size_t j = scan_capture(chunk, i);
      m_value.append(chunk.data() + i, j - i);
      m_offset += j - i;
      i = j;
      if (m_value.size() > m_max)
        return fail(FailureReason::too_large,
                    std::string(m_levels.back() == Level::set ? "allocation \"" + m_key + "\""
                                                              : "value of \"" + m_key + "\"") +
                        " is larger than " + std::to_string(m_max) + " bytes");
      if (m_capture != Capture::none) continue;  // the chunk ended inside the value
      if (kind == Capture::key) {
        if (!unescape_key()) return syntax_error("invalid object key");
        m_expect = Expect::colon;
      } else if (auto r = end_value(); !r.ok()) {
        return r;
      }
      continue;
    }
    const char c = chunk[i];
    if (is_space(c)) {
      ++i;
      ++m_offset;
      continue;
    }
    Expected<void> step;
    switch (m_expect) {
      case Expect::document:
        if (c != '{') {
          m_not_json = true;
          continue;  // the prefix takes this byte and the next ones
        }
        m_levels.push_back(Level::root);
        m_expect = Expect::key_or_close;
        break;
      case Expect::key_or_close:
        if (c == '}') {
          step = close_container(c);
          break;
        }
        [[fallthrough]];
      case Expect::key:
        if (c != '"') {
          step = syntax_error("expected an object key");
          break;
        }
        m_value.assign(1, c);
        m_capture = Capture::key;
        m_escape = false;
        break;
      case Expect::colon:
        if (c != ':') step = syntax_error("expected ':' after an object key");
        m_expect = Expect::value;
        break;
      case Expect::element_or_close:
        if (c == ']') {
          step = close_container(c);
          break;
        }
        [[fallthrough]];
      case Expect::value:
      case Expect::element:
        step = begin_value(c);
        break;
      case Expect::comma_or_close:
        if (c == ',') {
          m_expect = m_levels.back() == Level::data ? Expect::element : Expect::key;
        } else {
          step = close_container(c);
        }
        break;
      case Expect::done:
        step = syntax_error("trailing content after the answer");
        break;
    }
    if (!step.ok()) return step;
    ++i;
    ++m_offset;
  }
  return {};
}

// Scans a captured key or value from chunk[i]; returns where the scan stopped. The capture is
// complete when m_capture is none again (a scalar's delimiter is left for the caller).
std::size_t AllocationStream::scan_capture(std::string_view chunk, std::size_t i) {
  const char* p = chunk.data();
  const std::size_t n = chunk.size();
  switch (m_capture) {
    case Capture::key:
    case Capture::string:
      for (; i < n; ++i) {
        const char c = p[i];
        if (m_escape) {
          m_escape = false;
        } else if (c == '\\') {
          m_escape = true;
        } else if (c == '"') {
          m_capture = Capture::none;
          return i + 1;
        }
      }
      return n;
    case Capture::container:
      return scan_container(p, i, n);
    case Capture::scalar:
      for (; i < n; ++i) {
        const char c = p[i];
        if (c == ',' || c == '}' || c == ']' || is_space(c)) {
          m_capture = Capture::none;
          return i;
        }
      }
      return n;
    case Capture::none:
      break;
  }
  return i;
}

// The bulk of an answer's bytes are inside allocations: find the bytes that matter there
// (quotes, backslashes, brackets) 64 at a time and step from one to the next.
std::size_t AllocationStream::scan_container(const char* p, std::size_t i, std::size_t n) {
  while (i < n) {
    const std::size_t block = std::min<std::size_t>(64, n - i);
    std::uint64_t mask = special_bytes(p + i, block);
    while (mask) {
      const std::size_t k = i + static_cast<std::size_t>(__builtin_ctzll(mask));
      mask &= mask - 1;
      if (m_escape) {
        m_escape = false;
        if (k == m_escaped_at) continue;  // the escaped byte itself
      }
      const char c = p[k];
      if (m_in_string) {
        if (c == '\\') {
          m_escape = true;
          m_escaped_at = k + 1;
        } else if (c == '"') {
          m_in_string = false;
        }
      } else if (c == '"') {
        m_in_string = true;
      } else if (c == '{' || c == '[') {
        ++m_depth;
      } else if ((c == '}' || c == ']') && --m_depth == 0) {
        m_capture = Capture::none;
        m_escape = false;
        return k + 1;
      }
    }
    i += block;
    // An escape at the block's last byte covers the next block's first byte.
    if (m_escape && m_escaped_at < i) m_escape = false;
  }
  // Positions are chunk-relative: an escape pending at the chunk's end covers the next
  // chunk's first byte.
  if (m_escape) m_escaped_at = 0;
  return n;
}

Expected<void> AllocationStream::begin_value(char c) {
  const Level top = m_levels.back();
  if (top == Level::root && m_key == "data") {
    m_saw_data = true;
    if (c == '[') {
      m_levels.push_back(Level::data);
      m_expect = Expect::element_or_close;
      return {};
    }
    if (c == '{') {  // a single set instead of an array of sets
      m_levels.push_back(Level::set);
      m_expect = Expect::key_or_close;
      return {};
    }
  }
  if (top == Level::data && c == '{') {
    m_levels.push_back(Level::set);
    m_expect = Expect::key_or_close;
    return {};
  }
  m_value.assign(1, c);
  m_escape = false;
  m_in_string = false;
  if (c == '"') {
    m_capture = Capture::string;
  } else if (c == '{' || c == '[') {
    m_capture = Capture::container;
    m_depth = 1;
  } else if (starts_scalar(c)) {
    m_capture = Capture::scalar;
  } else {
    return syntax_error("expected a value");
  }
  return {};
}

Expected<void> AllocationStream::end_value() {
  m_expect = Expect::comma_or_close;
  ensure_padding(m_value);
  const Level top = m_levels.back();
  if (top == Level::set && m_value.front() == '{') {
    if (auto err = m_decoder.decode(m_key, m_value, m_set_index, m_alloc))
      return fail(FailureReason::parse, "invalid JSON in allocation \"" + m_key +
                                            "\" (ending at byte " + std::to_string(m_offset) +
                                            "): " + simdjson::error_message(err));
    ++m_count;
    m_visit(m_alloc);
    return {};
  }
  if (top == Level::root) return decode_envelope_value();
  // A `null` set (kubecost#3758), a `null` allocation or another shape: checked, then skipped.
  simdjson::dom::element ignored;
  if (auto err = m_scalars.parse(m_value.data(), m_value.size(), false).get(ignored))
    return syntax_error(simdjson::error_message(err));
  if (top == Level::data && ignored.is_null()) ++m_null_sets;
  return {};
}

Expected<void> AllocationStream::decode_envelope_value() {
  simdjson::dom::element v;
  if (auto err = m_scalars.parse(m_value.data(), m_value.size(), false).get(v))
    return syntax_error(simdjson::error_message(err));
  if (m_key == "code") {
    double d;
    if (!v.get_double().get(d)) m_code = static_cast<std::int64_t>(d);
  } else if (m_key == "message") {
    std::string_view m;
    if (!v.get_string().get(m)) m_message = std::string(m.substr(0, 200));
  }
  return {};
}

Expected<void> AllocationStream::close_container(char c) {
  const Level closed = m_levels.back();
  if (c != (closed == Level::data ? ']' : '}'))
    return syntax_error(closed == Level::data ? "expected ',' or ']'" : "expected ',' or '}'");
  m_levels.pop_back();
  if (closed == Level::set) {
    ++m_sets;
    ++m_set_index;
  }
  if (m_levels.empty()) {
    m_expect = Expect::done;
  } else {
    m_expect = Expect::comma_or_close;
    if (m_levels.back() == Level::root) m_key.clear();  // `data` is done with
  }
  return {};
}

bool AllocationStream::unescape_key() {
  if (m_value.size() < 2) return false;
  if (m_value.find('\\') == std::string::npos) {
    for (std::size_t k = 1; k + 1 < m_value.size(); ++k)
      if (static_cast<unsigned char>(m_value[k]) < 0x20) return false;  // raw control character
    if (!simdjson::validate_utf8(m_value.data() + 1, m_value.size() - 2)) return false;
    m_key.assign(m_value, 1, m_value.size() - 2);
    return true;
  }
  ensure_padding(m_value);
  std::string_view s;
  simdjson::dom::element v;
  if (m_scalars.parse(m_value.data(), m_value.size(), false).get(v) || v.get_string().get(s))
    return false;
  m_key.assign(s);
  return true;
}

Expected<ParseSummary> AllocationStream::finish() {
  if (m_failure) return *m_failure;
  if (m_not_json) return Failure{FailureReason::parse, describe_non_json(m_prefix)};
  if (m_expect == Expect::document) return Failure{FailureReason::empty, "empty response body"};
  if (m_expect != Expect::done)
    return Failure{FailureReason::parse, "invalid JSON: the answer ends at byte " +
                                             std::to_string(m_offset) +
                                             " inside an unfinished value (truncated?)"};
  if (m_code != 200)
    return Failure{FailureReason::http_status, "Kubecost answered code " + std::to_string(m_code) +
                                                   (m_message.empty() ? "" : ": " + m_message)};
  if (!m_saw_data) return Failure{FailureReason::parse, "response has no \"data\" field"};
  if (m_count == 0)
    return Failure{FailureReason::empty, "response holds no allocations (data: " +
                                             std::to_string(m_sets) + " non-null sets)"};
  return ParseSummary{m_sets, m_count};
}

}  // namespace kci
