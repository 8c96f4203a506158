#include "exporter/kubecost/allocation_decoder.hpp"

#include <array>
#include <cmath>
#include <cstring>

#include "exporter/util/durations.hpp"

namespace kci {

struct DecoderKeySlot {
  std::array<std::uint64_t, 4> words{};  // the key, zero-padded
  std::size_t size = 0;
  int index = -1;  // AllocField, one of the special keys below, or -1: not a key we read
};

namespace {

// Key -> field index by open addressing on a cheap hash; a key is compared as up to four 8-byte
// words (JsonCursor's strings are followed by 32 readable bytes). Special keys get negative
// indices.
constexpr int k_key_properties = -2;
constexpr int k_key_window = -3;
constexpr int k_key_start = -4;
constexpr int k_key_end = -5;

class KeyTable {
 public:
  KeyTable() {
    const auto& keys = alloc_field_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) insert(keys[i], static_cast<int>(i));
    insert("properties", k_key_properties);
    insert("window", k_key_window);
    insert("start", k_key_start);
    insert("end", k_key_end);
    while (m_slots[m_empty].size != 0) ++m_empty;
  }
  static constexpr std::size_t k_max_key = 32;
  using Slot = DecoderKeySlot;
  static_assert(sizeof(Slot::words) == k_max_key);
  // The slot of `key`, or an empty slot (index -1) when it is not a key we read.
  const Slot& find(std::string_view key) const {
    if (key.empty() || key.size() > k_max_key) return m_slots[m_empty];
    for (std::size_t h = hash(key);; h = (h + 1) & (k_size - 1)) {
      const Slot& s = m_slots[h];
      if (s.size == 0) return s;
      if (is(s, key)) return s;
    }
  }
  // Whether `key` (readable k_max_key bytes from its start) is the key of slot s.
  static bool is(const Slot& s, std::string_view key) {
    return s.size == key.size() && same(s, key.data());
  }

 private:
  static constexpr std::size_t k_size = 128;  // 6 KiB: stays in L1
  static std::size_t hash(std::string_view k) {
    const auto c = [&](std::size_t i) {
      return static_cast<std::size_t>(static_cast<unsigned char>(k[i]));
    };
    return (k.size() * 131 + c(0) * 17 + c(k.size() / 2) * 7 + c(k.size() - 1) * 3 +
            c(k.size() * 3 / 4)) &
           (k_size - 1);
  }
  static bool same(const Slot& s, const char* p) {
    std::uint64_t diff = 0;
    for (std::size_t w = 0; w < s.size; w += 8) {
      std::uint64_t word;
      std::memcpy(&word, p + w, 8);
      word ^= s.words[w / 8];
      if (s.size - w < 8) word &= (std::uint64_t{1} << (8 * (s.size - w))) - 1;
      diff |= word;
    }
    return diff == 0;
  }
  void insert(std::string_view key, int index) {
    std::size_t h = hash(key);
    while (m_slots[h].size != 0) h = (h + 1) & (k_size - 1);
    Slot& s = m_slots[h];
    std::memcpy(s.words.data(), key.data(), key.size());  // every key is <= k_max_key
    s.size = key.size();
    s.index = index;
  }
  std::array<Slot, k_size> m_slots{};
  std::size_t m_empty = 0;  // an empty slot
};

const KeyTable& key_table() {
  static const KeyTable table;
  return table;
}

// Fields serve mode needs; the rest are read only with ParseOptions::all_properties.
constexpr int k_serve_fields = static_cast<int>(AllocField::ram_byte_usage_average) + 1;

bool is_number(char c) { return c == '-' || (c >= '0' && c <= '9'); }

// Serve mode also reads the cost adjustments: each resource series includes its own.
bool is_adjustment(int f) {
  switch (static_cast<AllocField>(f)) {
    case AllocField::cpu_cost_adjustment:
    case AllocField::ram_cost_adjustment:
    case AllocField::gpu_cost_adjustment:
    case AllocField::pv_cost_adjustment:
    case AllocField::network_cost_adjustment:
    case AllocField::load_balancer_cost_adjustment:
      return true;
    default:
      return false;
  }
}

// An allocation with no field read: every value NaN (absent, never 0).
const ParsedAllocation& empty_allocation() {
  static const ParsedAllocation empty = [] {
    ParsedAllocation a{};
    a.values.fill(NAN);
    return a;
  }();
  return empty;
}

}  // namespace

AllocationDecoder::AllocationDecoder(const ParseOptions& options)
    : m_options(options),
      m_label_values(options.label_keys.size()),
      m_ns_label_values(options.label_keys.size()),
      m_annotation_values(options.annotation_keys.size()),
      m_ns_annotation_values(options.annotation_keys.size()),
      m_read_number([&] {
        std::array<bool, k_alloc_field_count> read{};
        for (std::size_t f = 0; f < read.size(); ++f) {
          const int field = static_cast<int>(f);
          read[f] = options.all_properties || field < k_serve_fields || is_adjustment(field);
        }
        return read;
      }()) {}

simdjson::error_code AllocationDecoder::decode(std::string_view name, const JsonWindow& window,
                                               std::uint32_t& i, std::size_t set_index,
                                               ParsedAllocation& a) {
  a = empty_allocation();  // one copy: no zeroing, then NaN-filling, of every field
  a.name = name;
  a.set_index = set_index;
  std::fill(m_label_values.begin(), m_label_values.end(), std::string_view{});
  std::fill(m_ns_label_values.begin(), m_ns_label_values.end(), std::string_view{});
  std::fill(m_annotation_values.begin(), m_annotation_values.end(), std::string_view{});
  std::fill(m_ns_annotation_values.begin(), m_ns_annotation_values.end(), std::string_view{});
  m_cursor.reset(window);
  JsonCursor& c = m_cursor;
  const KeyTable& table = key_table();
  std::size_t position = 0;
  auto err = c.object(i, 0, [&](std::string_view key, std::uint32_t& v) {
    // Kubecost writes every allocation's keys in one order: the key at this position in the last
    // allocation is tried first, and the table searched only when it differs.
    const DecoderKeySlot* slot = position < m_key_order.size() ? m_key_order[position] : nullptr;
    if (slot == nullptr || !KeyTable::is(*slot, key)) {
      slot = &table.find(key);
      if (position < m_key_order.size()) m_key_order[position] = slot;
    }
    ++position;
    const int f = slot->index;
    if (f >= 0) {  // a field: nearly every key
      const auto field = static_cast<std::size_t>(f);
      // null, "NaN" strings and other shapes stay NaN: absent, never 0.
      if (m_read_number[field] && is_number(c.at(v))) return c.number(v, a.values[field]);
      return c.skip(v, 1);
    }
    switch (f) {
      case k_key_properties:
        return read_properties(v, a);
      case k_key_window:
        return read_window(v, a);
      case k_key_start:
        return read_time(v, m_data_start, a.data_start);
      case k_key_end:
        return read_time(v, m_data_end, a.data_end);
      default:  // a key we do not read
        return c.skip(v, 1);
    }
  });
  if (err) return err;
  for (std::size_t k = 0; k < m_label_values.size(); ++k)
    if (m_label_values[k].empty()) m_label_values[k] = m_ns_label_values[k];
  a.label_values = &m_label_values;
  a.namespace_label_values = &m_ns_label_values;
  for (std::size_t k = 0; k < m_annotation_values.size(); ++k)
    if (m_annotation_values[k].empty()) m_annotation_values[k] = m_ns_annotation_values[k];
  a.annotation_values = &m_annotation_values;
  return simdjson::SUCCESS;
}

// Sets `out` when the value is a string; anything else (null, numbers, objects) is skipped.
simdjson::error_code AllocationDecoder::read_string(std::uint32_t& i, std::size_t depth,
                                                    std::string_view& out) {
  if (m_cursor.at(i) == '"') return m_cursor.string(i, out);
  return m_cursor.skip(i, depth);
}

simdjson::error_code AllocationDecoder::read_properties(std::uint32_t& i, ParsedAllocation& a) {
  if (m_cursor.at(i) != '{') return m_cursor.skip(i, 1);
  return m_cursor.object(i, 1, [&](std::string_view key, std::uint32_t& v) {
    if (key == "namespace") return read_string(v, 2, a.namespace_name);
    if (key == "pod") return read_string(v, 2, a.pod);
    if (key == "cluster") return read_string(v, 2, a.cluster);
    if (!m_options.label_keys.empty()) {
      if (key == "labels") return read_labels(v, m_options.label_keys, m_label_values);
      if (key == "namespaceLabels") return read_labels(v, m_options.label_keys, m_ns_label_values);
    }
    if (!m_options.annotation_keys.empty()) {
      if (key == "annotations")
        return read_labels(v, m_options.annotation_keys, m_annotation_values);
      if (key == "namespaceAnnotations")
        return read_labels(v, m_options.annotation_keys, m_ns_annotation_values);
    }
    if (m_options.all_properties) {
      if (key == "node") return read_string(v, 2, a.node);
      if (key == "container") return read_string(v, 2, a.container);
      if (key == "controller") return read_string(v, 2, a.controller);
      if (key == "controllerKind") return read_string(v, 2, a.controller_kind);
      if (key == "providerID") return read_string(v, 2, a.provider_id);
    }
    return m_cursor.skip(v, 2);
  });
}

// Picks the wanted keys of a labels/annotations object; both the current spelling and the
// pre-2023 raw `label_<key>` / `annotation_<key>` are accepted.
simdjson::error_code AllocationDecoder::read_labels(std::uint32_t& i,
                                                    const std::vector<std::string>& wanted,
                                                    std::vector<std::string_view>& out) {
  if (m_cursor.at(i) != '{') return m_cursor.skip(i, 2);
  return m_cursor.object(i, 2, [&](std::string_view key, std::uint32_t& v) {
    if (key.starts_with("label_")) key.remove_prefix(6);
    if (key.starts_with("annotation_")) key.remove_prefix(11);
    if (m_cursor.at(v) != '"') return m_cursor.skip(v, 3);
    std::string_view value;
    if (auto err = m_cursor.string(v, value)) return err;
    for (std::size_t k = 0; k < wanted.size(); ++k)  // a key may be wanted twice
      if (wanted[k] == key) out[k] = value;
    return simdjson::SUCCESS;
  });
}

simdjson::error_code AllocationDecoder::read_window(std::uint32_t& i, ParsedAllocation& a) {
  if (m_cursor.at(i) != '{') return m_cursor.skip(i, 1);
  return m_cursor.object(i, 1, [&](std::string_view key, std::uint32_t& v) {
    // An open bound is the string "null": stays NaN.
    if (key == "start") return read_time(v, m_window_start, a.window_start);
    if (key == "end") return read_time(v, m_window_end, a.window_end);
    return m_cursor.skip(v, 2);
  });
}

// An RFC 3339 time when the value is a string; other shapes are skipped and leave `out` NaN.
simdjson::error_code AllocationDecoder::read_time(std::uint32_t& i, LastTime& last, double& out) {
  if (m_cursor.at(i) != '"') return m_cursor.skip(i, 2);
  std::string_view s;
  if (auto err = m_cursor.string(i, s)) return err;
  out = last.of(s);
  return simdjson::SUCCESS;
}

double AllocationDecoder::LastTime::of(std::string_view s) {
  if (!seen || s != text) {
    auto t = parse_rfc3339(s);
    text.assign(s);
    value = t ? *t : NAN;
    seen = true;
  }
  return value;
}

}  // namespace kci
