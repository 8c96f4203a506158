#pragma once
// Reads an Allocation API answer as it arrives, in chunks of any size, one allocation at a
// time: memory is a bounded window of the answer (json_window.hpp), never the answer. The
// envelope is {"code":…,"message":…,"data":[{"<name>":{…},…}|null,…],…} with its fields in any
// order (an array of sets, each a map of name to allocation: OpenCost
// core/pkg/opencost/allocation_json.go; the sample on
// https://docs.kubecost.com/apis/monitoring-apis/api-allocation); `data` may also be a single
// set object or null. One pass: simdjson's stage 1 indexes each window once; this walks the
// framing levels (root, data, sets) over those indexes. Each allocation is decoded from the same
// indexes by AllocationDecoder (which checks every value as JSON and converts only the fields
// read, json_cursor.hpp); each envelope value is parsed by simdjson's stage 2 from them. Every
// byte is checked as JSON and none is scanned twice.
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
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_decoder.hpp"
#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/json_cursor.hpp"
#include "exporter/kubecost/json_window.hpp"
#include "exporter/util/result.hpp"

namespace kci {

inline constexpr std::size_t k_default_max_allocation_bytes = 1u << 20;
// New bytes per window: large enough that the one allocation a window cuts (parsed again in the
// next) is rare, small enough to stay in cache.
inline constexpr std::size_t k_default_window_bytes = 256u << 10;

class AllocationStream {
 public:
  AllocationStream(const ParseOptions& options, const AllocationVisitor& visit,
                   std::size_t max_allocation_bytes = k_default_max_allocation_bytes,
                   std::size_t window_bytes = k_default_window_bytes);
  // Reads through `window` (emptied first; it must outlive the stream), whose max_carry() is the
  // bound on one allocation: a sink that reads one answer after another keeps one window, its
  // buffers mapped and touched once instead of at every poll.
  AllocationStream(const ParseOptions& options, const AllocationVisitor& visit, JsonWindow& window);

  // The next bytes of the answer.
  Expected<void> feed(std::string_view chunk);
  // Where the next bytes may be written before feed() of them, which then takes them without a
  // copy (the inflater writes there): the free part of the window. Valid until the next call.
  std::span<char> room() { return m_failure ? std::span<char>() : m_window.room(); }
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

  Expected<void> fail(FailureReason reason, std::string message);
  Expected<void> syntax_error(std::uint32_t i, const char* what);
  // Walks the window's structurals; `final`: the answer ends with this window.
  Expected<void> read_window(bool final);
  // One step of the framing at structural i; moves `i` to the next one to read. Sets `whole` to
  // false when the token at i runs on past the window (it is kept for the next).
  Expected<void> step(std::uint32_t& i, bool& whole);
  Expected<void> read_key(std::uint32_t i, bool& whole);
  Expected<void> read_value(std::uint32_t& i, bool& whole);
  // The value (not an allocation) just parsed into the window's document.
  Expected<void> use_value();
  Expected<void> close_container(std::uint32_t i);
  std::string too_large_message() const;

  const AllocationVisitor& m_visit;
  std::size_t m_max;
  AllocationDecoder m_decoder;
  JsonCursor m_keys;                         // the framing's keys, read from the window's indexes
  std::unique_ptr<JsonWindow> m_own_window;  // when none is lent
  JsonWindow& m_window;

  Expect m_expect = Expect::document;
  std::vector<Level> m_levels;
  std::string m_key;     // the current member's key, unescaped
  std::string m_prefix;  // the first bytes of a body that is not JSON, for the message
  bool m_not_json = false;
  bool m_in_window = false;  // the root '{' has arrived: bytes go to m_window

  std::uint64_t m_offset = 0;  // bytes before the root '{' (whitespace)
  double m_code = 200;         // the envelope's `code`: anything but 200 fails the answer
  std::string m_message;
  bool m_saw_data = false;
  std::size_t m_set_index = 0, m_sets = 0, m_count = 0, m_null_sets = 0;
  std::optional<Failure> m_failure;
  ParsedAllocation m_alloc;
};

}  // namespace kci
