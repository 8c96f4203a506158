#include "exporter/kubecost/allocation_decoder.hpp"

#include <array>
#include <cmath>
#include <cstring>

#include "exporter/util/durations.hpp"

namespace kci {
namespace {

namespace dom = simdjson::dom;

// Key -> field index by open addressing on a cheap hash, so each key costs one memcmp.
// Special keys get negative indices.
constexpr int k_key_properties = -2;
constexpr int k_key_window = -3;
constexpr int k_key_unknown = -1;
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
  }
  int find(std::string_view key) const {
    if (key.empty()) return k_key_unknown;
    for (std::size_t h = hash(key);; h = (h + 1) & (k_size - 1)) {
      const Slot& s = m_slots[h];
      if (s.key.empty()) return k_key_unknown;
      if (s.key.size() == key.size() && std::memcmp(s.key.data(), key.data(), key.size()) == 0)
        return s.index;
    }
  }

 private:
  static constexpr std::size_t k_size = 512;
  struct Slot {
    std::string_view key;
    int index = k_key_unknown;
  };
  static std::size_t hash(std::string_view k) {
    const auto c = [&](std::size_t i) {
      return static_cast<std::size_t>(static_cast<unsigned char>(k[i]));
    };
    return (k.size() * 131 + c(0) * 17 + c(k.size() / 2) * 7 + c(k.size() - 1) * 3 +
            c(k.size() * 3 / 4)) &
           (k_size - 1);
  }
  void insert(std::string_view key, int index) {
    std::size_t h = hash(key);
    while (!m_slots[h].key.empty()) h = (h + 1) & (k_size - 1);
    m_slots[h] = {key, index};
  }
  std::array<Slot, k_size> m_slots{};
};

const KeyTable& key_table() {
  static const KeyTable table;
  return table;
}

// Fields serve mode needs; the rest are read only with ParseOptions::all_properties.
constexpr int k_serve_fields = static_cast<int>(AllocField::ram_byte_usage_average) + 1;

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

// Sets `out` when `v` is a string; anything else (null, numbers, objects) leaves it unchanged.
void if_string(dom::element v, std::string_view& out) {
  if (v.type() == dom::element_type::STRING) out = std::string_view(v.get_string().value_unsafe());
}

// Picks the wanted keys of a labels/annotations object; both the current spelling and the
// pre-2023 raw `label_<key>` / `annotation_<key>` are accepted.
void read_labels(dom::element v, const std::vector<std::string>& wanted,
                 std::vector<std::string_view>& out) {
  if (v.type() != dom::element_type::OBJECT) return;
  for (auto field : dom::object(v)) {
    std::string_view key = field.key;
    if (key.starts_with("label_")) key.remove_prefix(6);
    if (key.starts_with("annotation_")) key.remove_prefix(11);
    for (std::size_t i = 0; i < wanted.size(); ++i)  // a key may be wanted twice
      if (wanted[i] == key) if_string(field.value, out[i]);
  }
}

}  // namespace

AllocationDecoder::AllocationDecoder(const ParseOptions& options)
    : m_options(options),
      m_label_values(options.label_keys.size()),
      m_ns_label_values(options.label_keys.size()),
      m_annotation_values(options.annotation_keys.size()),
      m_ns_annotation_values(options.annotation_keys.size()),
      m_field_limit(options.all_properties ? static_cast<int>(k_alloc_field_count)
                                           : k_serve_fields) {}

void AllocationDecoder::decode(std::string_view name, dom::element object, std::size_t set_index,
                               ParsedAllocation& a) {
  a = ParsedAllocation{};
  a.name = name;
  a.values.fill(NAN);
  a.set_index = set_index;
  std::fill(m_label_values.begin(), m_label_values.end(), std::string_view{});
  std::fill(m_ns_label_values.begin(), m_ns_label_values.end(), std::string_view{});
  std::fill(m_annotation_values.begin(), m_annotation_values.end(), std::string_view{});
  std::fill(m_ns_annotation_values.begin(), m_ns_annotation_values.end(), std::string_view{});
  for (auto field : dom::object(object)) {  // callers hand objects only
    const int f = key_table().find(field.key);
    if (f == k_key_properties) {
      read_properties(field.value, a);
    } else if (f == k_key_window) {
      read_window(field.value, a);
    } else if (f == k_key_start || f == k_key_end) {
      std::string_view s;
      if (!field.value.get_string().get(s))
        (f == k_key_start ? a.data_start : a.data_end) =
            (f == k_key_start ? m_data_start : m_data_end).of(s);
    } else if (f >= 0 && (f < m_field_limit || is_adjustment(f))) {
      // null, "NaN" strings and other shapes stay NaN: absent, never 0.
      double d;
      if (!field.value.get_double().get(d)) a.values[static_cast<std::size_t>(f)] = d;
    }
  }
  for (std::size_t i = 0; i < m_label_values.size(); ++i)
    if (m_label_values[i].empty()) m_label_values[i] = m_ns_label_values[i];
  a.label_values = &m_label_values;
  a.namespace_label_values = &m_ns_label_values;
  for (std::size_t i = 0; i < m_annotation_values.size(); ++i)
    if (m_annotation_values[i].empty()) m_annotation_values[i] = m_ns_annotation_values[i];
  a.annotation_values = &m_annotation_values;
}

void AllocationDecoder::read_properties(dom::element v, ParsedAllocation& a) {
  if (v.type() != dom::element_type::OBJECT) return;
  for (auto field : dom::object(v)) {
    const std::string_view key = field.key;
    const dom::element pv = field.value;
    if (key == "namespace") {
      if_string(pv, a.namespace_name);
    } else if (key == "pod") {
      if_string(pv, a.pod);
    } else if (key == "cluster") {
      if_string(pv, a.cluster);
    } else if (!m_options.label_keys.empty() && key == "labels") {
      read_labels(pv, m_options.label_keys, m_label_values);
    } else if (!m_options.label_keys.empty() && key == "namespaceLabels") {
      read_labels(pv, m_options.label_keys, m_ns_label_values);
    } else if (!m_options.annotation_keys.empty() && key == "annotations") {
      read_labels(pv, m_options.annotation_keys, m_annotation_values);
    } else if (!m_options.annotation_keys.empty() && key == "namespaceAnnotations") {
      read_labels(pv, m_options.annotation_keys, m_ns_annotation_values);
    } else if (m_options.all_properties) {
      if (key == "node")
        if_string(pv, a.node);
      else if (key == "container")
        if_string(pv, a.container);
      else if (key == "controller")
        if_string(pv, a.controller);
      else if (key == "controllerKind")
        if_string(pv, a.controller_kind);
      else if (key == "providerID")
        if_string(pv, a.provider_id);
    }
  }
}

void AllocationDecoder::read_window(dom::element v, ParsedAllocation& a) {
  if (v.type() != dom::element_type::OBJECT) return;
  for (auto field : dom::object(v)) {
    std::string_view s;
    if (field.value.get_string().get(s)) continue;
    const bool start = field.key == "start";
    if (!start && field.key != "end") continue;
    // An open bound is the string "null": stays NaN.
    (start ? a.window_start : a.window_end) = (start ? m_window_start : m_window_end).of(s);
  }
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
