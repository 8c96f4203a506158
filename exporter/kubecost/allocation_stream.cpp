#include "exporter/kubecost/allocation_stream.hpp"

#include <algorithm>
#include <cstdio>

#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::size_t k_prefix_bytes = 4096;  // enough for an error page's <title>

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The envelope's `code` as the answer wrote it (a number: 500, 200.5, 1e300).
std::string code_text(double code) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", code);
  return text;
}

// A name from the answer, quoted for a one-line message (the peer chose its bytes).
std::string quoted_name(std::string_view name) { return "\"" + one_line(name, 100) + "\""; }

std::string describe_non_json(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  std::string_view rest = first == std::string_view::npos ? body : body.substr(first);
  if (rest.starts_with("<")) {
    auto t = rest.find("<title>");
    auto e = rest.find("</title>");
    if (t != std::string_view::npos && e != std::string_view::npos && e > t)
      return "HTML page instead of JSON: " + one_line(rest.substr(t + 7, e - t - 7), 100);
    return "HTML page instead of JSON";
  }
  return "not JSON: " + quoted_name(rest.substr(0, 100));
}

}  // namespace

AllocationStream::AllocationStream(const ParseOptions& options, const AllocationVisitor& visit,
                                   std::size_t max_allocation_bytes, std::size_t window_bytes)
    : m_visit(visit),
      m_max(max_allocation_bytes),
      m_decoder(options),
      m_own_window(std::make_unique<JsonWindow>(max_allocation_bytes, window_bytes)),
      m_window(*m_own_window) {
  m_levels.reserve(4);
}

AllocationStream::AllocationStream(const ParseOptions& options, const AllocationVisitor& visit,
                                   JsonWindow& window)
    : m_visit(visit), m_max(window.max_carry()), m_decoder(options), m_window(window) {
  m_window.clear();
  m_levels.reserve(4);
}

Expected<void> AllocationStream::fail(FailureReason reason, std::string message) {
  m_failure = Failure{reason, std::move(message)};
  return *m_failure;
}

Expected<void> AllocationStream::syntax_error(std::uint32_t i, const char* what) {
  return fail(FailureReason::parse,
              "invalid JSON at byte " +
                  std::to_string(m_offset + m_window.offset() + m_window.position(i)) + ": " +
                  what);
}

Expected<void> AllocationStream::feed(std::string_view chunk) {
  if (m_failure) return *m_failure;
  std::size_t i = 0;
  while (!m_in_window && i < chunk.size()) {
    if (m_not_json) {
      const std::size_t take = std::min(chunk.size() - i, k_prefix_bytes - m_prefix.size());
      m_prefix.append(chunk.data() + i, take);
      if (m_prefix.size() >= k_prefix_bytes)
        return fail(FailureReason::parse, describe_non_json(m_prefix));
      return {};
    }
    const char c = chunk[i];
    if (is_space(c)) {
      ++i;
      ++m_offset;
    } else if (c == '{') {
      m_in_window = true;  // the window starts at the root '{'
    } else {
      m_not_json = true;  // the prefix takes this byte and the next ones
    }
  }
  while (i < chunk.size()) {
    i += m_window.append(chunk.substr(i));
    if (m_window.full())
      if (auto r = read_window(false); !r.ok()) return r;
  }
  return {};
}

Expected<void> AllocationStream::read_window(bool final) {
  if (auto err = m_window.index(final))
    return fail(FailureReason::parse,
                "invalid JSON between bytes " + std::to_string(m_offset + m_window.offset()) +
                    " and " + std::to_string(m_offset + m_window.offset() + m_window.real_end()) +
                    ": " + simdjson::error_message(err));
  m_keys.reset(m_window);
  std::uint32_t i = 0;
  bool whole = true;
  while (whole && m_window.real(i))
    if (auto r = step(i, whole); !r.ok()) return r;
  if (final && !whole)
    return fail(FailureReason::parse,
                "invalid JSON: the answer ends at byte " +
                    std::to_string(m_offset + m_window.offset() + m_window.size()) +
                    " inside an unfinished value (truncated?)");
  m_window.keep_from(m_window.real(i) ? m_window.position(i) : m_window.real_end());
  if (m_window.carry() > m_max) return fail(FailureReason::too_large, too_large_message());
  return {};
}

std::string AllocationStream::too_large_message() const {
  const std::string limit = " is larger than " + std::to_string(m_max) + " bytes";
  if (m_expect != Expect::value && m_expect != Expect::element)
    return "an object key" + (m_key.empty() ? "" : " after " + quoted_name(m_key)) + limit;
  if (m_levels.back() == Level::set) return "allocation " + quoted_name(m_key) + limit;
  if (m_levels.back() == Level::data || m_key == "data") return "a set of \"data\"" + limit;
  return "value of " + quoted_name(m_key) + limit;
}

Expected<void> AllocationStream::step(std::uint32_t& i, bool& whole) {
  const char c = m_window.at(i);
  switch (m_expect) {
    case Expect::document:  // feed() starts the window at the root '{'
      m_levels.push_back(Level::root);
      m_expect = Expect::key_or_close;
      break;
    case Expect::key_or_close:
      if (c == '}') return close_container(i++);
      [[fallthrough]];
    case Expect::key:
      if (c != '"') return syntax_error(i, "expected an object key");
      if (auto r = read_key(i, whole); !r.ok() || !whole) return r;
      m_expect = Expect::colon;
      break;
    case Expect::colon:
      if (c != ':') return syntax_error(i, "expected ':' after an object key");
      m_expect = Expect::value;
      break;
    case Expect::element_or_close:
      if (c == ']') return close_container(i++);
      [[fallthrough]];
    case Expect::value:
    case Expect::element:
      return read_value(i, whole);
    case Expect::comma_or_close:
      if (c != ',') return close_container(i++);
      m_expect = m_levels.back() == Level::data ? Expect::element : Expect::key;
      break;
    case Expect::done:
      return syntax_error(i, "trailing content after the answer");
  }
  ++i;
  return {};
}

// The key at structural i, read by JsonCursor::string: its bytes as they are, unless it holds an
// escape (then simdjson's string parser, which also checks the escapes). Stage 1 has checked its
// UTF-8 and that it holds no raw control character.
Expected<void> AllocationStream::read_key(std::uint32_t i, bool& whole) {
  if (!m_window.real(i + 1)) {  // the key may go on past the window
    whole = false;
    return {};
  }
  if (m_window.position(i + 1) - m_window.position(i) - 1 > m_max)
    return fail(FailureReason::too_large, too_large_message());
  std::string_view key;
  if (m_keys.string(i, key)) return syntax_error(i, "invalid object key");
  m_key.assign(key);
  return {};
}

Expected<void> AllocationStream::read_value(std::uint32_t& i, bool& whole) {
  const char c = m_window.at(i);
  const Level top = m_levels.back();
  if (top == Level::root && m_key == "data") m_saw_data = true;
  if ((top == Level::root && m_key == "data") || top == Level::data) {
    if (c == '[' && top == Level::root) {
      m_levels.push_back(Level::data);
      m_expect = Expect::element_or_close;
      ++i;
      return {};
    }
    if (c == '{') {  // a set (or a single set instead of an array of sets)
      m_levels.push_back(Level::set);
      m_expect = Expect::key_or_close;
      ++i;
      return {};
    }
  }
  if (c == ':' || c == ',' || c == '}' || c == ']') return syntax_error(i, "expected a value");
  // An allocation is decoded straight from the indexes; other values are parsed by stage 2.
  const bool allocation = top == Level::set && c == '{';
  std::uint32_t next = i;
  const auto err = allocation ? m_decoder.decode(m_key, m_window, next, m_set_index, m_alloc)
                              : m_window.parse(i, next);
  if (err || !m_window.real(next)) {
    const auto end = m_window.end_within(i);
    if (!err || !end) {  // it runs on past the window
      whole = false;
      return {};
    }
    // Malformed and over the bound: too large, as when it arrives over several windows.
    if (*end - m_window.position(i) > m_max)
      return fail(FailureReason::too_large, too_large_message());
    if (top == Level::set)
      return fail(FailureReason::parse,
                  "invalid JSON in allocation " + quoted_name(m_key) + " (at byte " +
                      std::to_string(m_offset + m_window.offset() + m_window.position(i)) +
                      "): " + simdjson::error_message(err));
    return syntax_error(i, simdjson::error_message(err));
  }
  if (m_window.position(next) - m_window.position(i) > m_max)
    return fail(FailureReason::too_large, too_large_message());
  if (allocation) {
    ++m_count;
    m_visit(m_alloc);
  } else if (auto r = use_value(); !r.ok()) {
    return r;
  }
  m_expect = Expect::comma_or_close;
  i = next;
  return {};
}

Expected<void> AllocationStream::use_value() {
  const simdjson::dom::element v = m_window.document();
  switch (m_levels.back()) {
    case Level::set:  // a `null` allocation or another shape: checked, then skipped
      break;
    case Level::data:
      if (v.is_null()) ++m_null_sets;  // kubecost#3758; other shapes: checked, then skipped
      break;
    case Level::root:
      if (m_key == "code") {
        double d;
        if (!v.get_double().get(d)) m_code = d;
      } else if (m_key == "message") {
        std::string_view m;
        if (!v.get_string().get(m)) m_message = one_line(m, 200);
      }
      break;
  }
  return {};
}

Expected<void> AllocationStream::close_container(std::uint32_t i) {
  const char c = m_window.at(i);
  const Level closed = m_levels.back();
  if (c != (closed == Level::data ? ']' : '}'))
    return syntax_error(i, closed == Level::data ? "expected ',' or ']'" : "expected ',' or '}'");
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

Expected<ParseSummary> AllocationStream::finish() {
  if (m_failure) return *m_failure;
  if (m_not_json) return Failure{FailureReason::parse, describe_non_json(m_prefix)};
  if (!m_in_window) return Failure{FailureReason::empty, "empty response body"};
  if (auto r = read_window(true); !r.ok()) return r.failure();
  if (m_expect != Expect::done)
    return Failure{FailureReason::parse,
                   "invalid JSON: the answer ends at byte " +
                       std::to_string(m_offset + m_window.offset() + m_window.size()) +
                       " inside an unfinished value (truncated?)"};
  if (m_code != 200)
    return Failure{FailureReason::http_status, "Kubecost answered code " + code_text(m_code) +
                                                   (m_message.empty() ? "" : ": " + m_message)};
  if (!m_saw_data) return Failure{FailureReason::parse, "response has no \"data\" field"};
  if (m_count == 0)
    return Failure{FailureReason::empty, "response holds no allocations (data: " +
                                             std::to_string(m_sets) + " non-null sets)"};
  return ParseSummary{m_sets, m_count};
}

}  // namespace kci
