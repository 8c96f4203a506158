#pragma once
// Frames an Allocation API answer as it arrives, in chunks of any size, and decodes one
// allocation at a time: memory is one allocation (at most `max_allocation_bytes`), not the
// answer. The envelope is {"code":…,"message":…,"data":[{"<name>":{…},…}|null,…],…} with its
// fields in any order (an array of sets, each a map of name to allocation: OpenCost
// core/pkg/opencost/allocation_json.go; the sample on
// https://docs.kubecost.com/apis/monitoring-apis/api-allocation); `data` may also be a single
// set object or null. Every byte is checked as JSON: the framing levels (root, data, sets) by
// this scanner, every value below them by simdjson.
//
// Failures (final; later calls repeat them):
//   empty      the body was only whitespace, or no set held an allocation
//   parse      not JSON (an HTML or text page), malformed or truncated JSON, no "data"
//   too_large  one allocation (or envelope value) over max_allocation_bytes
//   http_status  the envelope's `code` is not 200 (wherever it appears, also after `data`)
// The visitor may already have seen allocations when a later byte fails the answer: callers
// keep what they built only when finish() succeeds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_decoder.hpp"
#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/util/result.hpp"

namespace kci {

inline constexpr std::size_t k_default_max_allocation_bytes = 1u << 20;

class AllocationStream {
 public:
  AllocationStream(const ParseOptions& options, const AllocationVisitor& visit,
                   std::size_t max_allocation_bytes = k_default_max_allocation_bytes);

  // The next bytes of the answer.
  Expected<void> feed(std::string_view chunk);
  // The answer is complete: checks that it ended where JSON may end, honours `code`.
  Expected<ParseSummary> finish();
  // Sets seen so far: `null` ones (kubecost#3758) and objects.
  std::size_t null_sets() const { return m_null_sets; }
  std::size_t object_sets() const { return m_sets; }

 private:
  enum class Expect : std::uint8_t {
    document,          // before the root '{'
    key_or_close,      // after '{'
    key,               // after ',' in an object
    colon,             // after a key
    value,             // after ':'
    element_or_close,  // after '['
    element,           // after ',' in an array
    comma_or_close,    // after a member or an element
    done,              // after the root's '}'
  };
  enum class Level : std::uint8_t { root, data, set };
  enum class Capture : std::uint8_t { none, key, string, container, scalar };

  Expected<void> fail(FailureReason reason, std::string message);
  Expected<void> syntax_error(const char* what);
  Expected<void> begin_value(char c);
  Expected<void> end_value();
  Expected<void> close_container(char c);
  Expected<void> decode_envelope_value();
  bool unescape_key();
  std::size_t scan_capture(std::string_view chunk, std::size_t i);
  std::size_t scan_container(const char* p, std::size_t i, std::size_t n);

  const AllocationVisitor& m_visit;
  std::size_t m_max;
  AllocationDecoder m_decoder;
  simdjson::dom::parser m_scalars;  // envelope values: code, message, ignored values

  Expect m_expect = Expect::document;
  std::vector<Level> m_levels;
  Capture m_capture = Capture::none;
  std::string m_value;  // bytes of the value (or key) being captured, padded for simdjson
  int m_depth = 0;      // nesting inside a captured container
  bool m_in_string = false, m_escape = false;
  std::size_t m_escaped_at = 0;  // chunk position of the byte an escape covers
  std::string m_key;             // the current member's key, unescaped
  std::string m_prefix;          // the first bytes of a body that is not JSON, for the message
  bool m_not_json = false;

  std::uint64_t m_offset = 0;  // bytes fed so far
  std::int64_t m_code = 200;
  std::string m_message;
  bool m_saw_data = false;
  std::size_t m_set_index = 0, m_sets = 0, m_count = 0, m_null_sets = 0;
  std::optional<Failure> m_failure;
  ParsedAllocation m_alloc;
};

}  // namespace kci
