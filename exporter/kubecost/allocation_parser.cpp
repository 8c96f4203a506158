#include "exporter/kubecost/allocation_parser.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "exporter/util/durations.hpp"
#include "exporter/util/padded_buffer.hpp"
#include "exporter/kubecost/json_ondemand.hpp"

namespace kci {
namespace {

namespace od = simdjson::ondemand;

// Key -> field index by open addressing on a cheap hash, so each key costs one memcmp.
// Special keys get negative indices.
constexpr int k_key_properties = -2;
constexpr int k_key_window = -3;
constexpr int k_key_unknown = -1;

class KeyTable {
 public:
  KeyTable() {
    const auto& keys = alloc_field_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) insert(keys[i], static_cast<int>(i));
    insert("properties", k_key_properties);
    insert("window", k_key_window);
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

std::string describe_non_json(std::string_view body) {
  auto first = body.find_first_not_of(" \t\r\n");
  std::string_view rest = first == std::string_view::npos ? body : body.substr(first);
  std::string snippet;
  if (rest.starts_with("<")) {
    auto t = rest.find("<title>");
    auto e = rest.find("</title>");
    if (t != std::string_view::npos && e != std::string_view::npos && e > t)
      return "HTML page instead of JSON: " +
             std::string(rest.substr(t + 7, std::min<std::size_t>(e - t - 7, 100)));
    return "HTML page instead of JSON";
  }
  for (char c : rest.substr(0, 100)) snippet += (c == '\n' || c == '\r') ? ' ' : c;
  return "not JSON: \"" + snippet + "\"";
}

class Parser {
 public:
  Parser(const ParseOptions& options, const AllocationVisitor& visit)
      : m_options(options), m_visit(visit) {
    m_label_values.resize(options.label_keys.size());
    m_ns_label_values.resize(options.label_keys.size());
    m_annotation_values.resize(options.annotation_keys.size());
    m_ns_annotation_values.resize(options.annotation_keys.size());
    m_field_limit = options.all_properties ? static_cast<int>(k_alloc_field_count) : k_serve_fields;
  }

  simdjson::error_code parse_allocation(std::string_view name, od::object obj) {
    ParsedAllocation a;
    a.name = name;
    a.values.fill(NAN);
    a.set_index = m_set_index;
    std::fill(m_label_values.begin(), m_label_values.end(), std::string_view{});
    std::fill(m_ns_label_values.begin(), m_ns_label_values.end(), std::string_view{});
    std::fill(m_annotation_values.begin(), m_annotation_values.end(), std::string_view{});
    std::fill(m_ns_annotation_values.begin(), m_ns_annotation_values.end(), std::string_view{});
    for (auto field : obj) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return err;
      od::value v = field.value();
      const int f = key_table().find(key);
      if (f == k_key_properties) {
        if (auto err = parse_properties(v, a)) return err;
        continue;
      }
      if (f == k_key_window) {
        parse_window(v, a);
        continue;
      }
      if (f < 0 || f >= m_field_limit) continue;  // unknown or unused key: skipped by the iterator
      od::json_type type;
      if (auto err = v.type().get(type)) return err;
      if (type == od::json_type::number) {
        double d;
        if (auto err = v.get_double().get(d)) return err;
        a.values[static_cast<std::size_t>(f)] = d;
      }
      // null, "NaN" strings and other shapes stay NaN: absent, never 0.
    }
    for (std::size_t i = 0; i < m_label_values.size(); ++i)
      if (m_label_values[i].empty()) m_label_values[i] = m_ns_label_values[i];
    a.label_values = &m_label_values;
    for (std::size_t i = 0; i < m_annotation_values.size(); ++i)
      if (m_annotation_values[i].empty()) m_annotation_values[i] = m_ns_annotation_values[i];
    a.annotation_values = &m_annotation_values;
    ++m_count;
    m_visit(a);
    return simdjson::SUCCESS;
  }

  simdjson::error_code parse_set(od::value set) {
    od::object obj;
    bool is_object = false;
    if (auto err = json::if_object(set, obj, is_object)) return err;
    if (!is_object) return simdjson::SUCCESS;  // `null` set (kubecost#3758)
    for (auto field : obj) {
      std::string_view name;
      if (auto err = field.unescaped_key().get(name)) return err;
      od::object alloc;
      if (auto err = json::if_object(field.value(), alloc, is_object)) return err;
      if (!is_object) continue;
      if (auto err = parse_allocation(name, alloc)) return err;
    }
    ++m_sets;
    ++m_set_index;
    return simdjson::SUCCESS;
  }

  std::size_t count() const { return m_count; }
  std::size_t sets() const { return m_sets; }

 private:
  simdjson::error_code parse_properties(od::value v, ParsedAllocation& a) {
    od::object props;
    bool is_object = false;
    if (auto err = json::if_object(v, props, is_object)) return err;
    if (!is_object) return simdjson::SUCCESS;
    for (auto field : props) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return err;
      od::value pv = field.value();
      simdjson::error_code err = simdjson::SUCCESS;
      if (key == "namespace") {
        err = json::if_string(pv, a.namespace_name);
      } else if (key == "pod") {
        err = json::if_string(pv, a.pod);
      } else if (!m_options.label_keys.empty() && key == "labels") {
        if (auto err = read_labels(pv, m_options.label_keys, m_label_values)) return err;
      } else if (!m_options.label_keys.empty() && key == "namespaceLabels") {
        if (auto err = read_labels(pv, m_options.label_keys, m_ns_label_values)) return err;
      } else if (!m_options.annotation_keys.empty() && key == "annotations") {
        if (auto err = read_labels(pv, m_options.annotation_keys, m_annotation_values)) return err;
      } else if (!m_options.annotation_keys.empty() && key == "namespaceAnnotations") {
        if (auto err = read_labels(pv, m_options.annotation_keys, m_ns_annotation_values))
          return err;
      } else if (m_options.all_properties) {
        if (key == "cluster")
          err = json::if_string(pv, a.cluster);
        else if (key == "node")
          err = json::if_string(pv, a.node);
        else if (key == "container")
          err = json::if_string(pv, a.container);
        else if (key == "controller")
          err = json::if_string(pv, a.controller);
        else if (key == "controllerKind")
          err = json::if_string(pv, a.controller_kind);
        else if (key == "providerID")
          err = json::if_string(pv, a.provider_id);
      }
      if (err) return err;
    }
    return simdjson::SUCCESS;
  }

  static simdjson::error_code read_labels(od::value v, const std::vector<std::string>& wanted,
                                          std::vector<std::string_view>& out) {
    od::object labels;
    bool is_object = false;
    if (auto err = json::if_object(v, labels, is_object)) return err;
    if (!is_object) return simdjson::SUCCESS;
    for (auto field : labels) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return err;
      if (key.starts_with("label_")) key.remove_prefix(6);  // pre-2023 raw spelling
      if (key.starts_with("annotation_")) key.remove_prefix(11);
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i] == key) {
          if (auto err = json::if_string(field.value(), out[i])) return err;
          break;
        }
      }
    }
    return simdjson::SUCCESS;
  }

  // Every allocation of a set repeats the set's window: parse each distinct string once.
  void parse_window(od::value v, ParsedAllocation& a) {
    od::object w;
    if (v.get_object().get(w)) return;
    for (auto field : w) {
      std::string_view key, s;
      if (field.unescaped_key().get(key)) return;
      od::value wv = field.value();
      od::json_type type;
      if (wv.type().get(type) || type != od::json_type::string || wv.get_string().get(s)) continue;
      const bool start = key == "start";
      std::string& last = start ? m_last_start : m_last_end;
      double& last_value = start ? m_last_start_value : m_last_end_value;
      if (s != last) {
        auto t = parse_rfc3339(s);  // an open bound is the string "null": stays NaN
        last.assign(s);
        last_value = t ? *t : NAN;
      }
      if (start) {
        a.window_start = last_value;
      } else if (key == "end") {
        a.window_end = last_value;
      }
    }
  }

  const ParseOptions& m_options;
  const AllocationVisitor& m_visit;
  std::vector<std::string_view> m_label_values;
  std::vector<std::string_view> m_ns_label_values;
  std::vector<std::string_view> m_annotation_values;
  std::vector<std::string_view> m_ns_annotation_values;
  int m_field_limit = k_serve_fields;
  std::string m_last_start, m_last_end;
  double m_last_start_value = NAN, m_last_end_value = NAN;
  std::size_t m_set_index = 0;
  std::size_t m_sets = 0;
  std::size_t m_count = 0;
};

Failure json_failure(simdjson::error_code err, od::document& doc, std::string_view body) {
  std::string where;
  const char* loc = nullptr;
  if (!doc.current_location().get(loc) && loc >= body.data() && loc <= body.data() + body.size())
    where = " at byte " + std::to_string(loc - body.data());
  return Failure{FailureReason::parse,
                 std::string("invalid JSON") + where + ": " + simdjson::error_message(err)};
}

}  // namespace

const std::array<std::string_view, k_alloc_field_count>& alloc_field_keys() {
  static const std::array<std::string_view, k_alloc_field_count> keys = {
      "minutes",
      "cpuCost",
      "gpuCost",
      "ramCost",
      "pvCost",
      "networkCost",
      "loadBalancerCost",
      "sharedCost",
      "externalCost",
      "totalCost",
      "cpuEfficiency",
      "ramEfficiency",
      "totalEfficiency",
      "cpuCoreRequestAverage",
      "cpuCoreUsageAverage",
      "ramByteRequestAverage",
      "ramByteUsageAverage",
      "cpuCores",
      "cpuCoreHours",
      "cpuCostAdjustment",
      "gpuCount",
      "gpuHours",
      "gpuCostAdjustment",
      "networkTransferBytes",
      "networkReceiveBytes",
      "networkCrossZoneCost",
      "networkCrossRegionCost",
      "networkInternetCost",
      "networkCostAdjustment",
      "loadBalancerCostAdjustment",
      "pvBytes",
      "pvByteHours",
      "pvCostAdjustment",
      "ramBytes",
      "ramByteHours",
      "ramCostAdjustment"};
  return keys;
}

Expected<ParseSummary> parse_allocations(std::string_view body, std::size_t capacity,
                                         const ParseOptions& options,
                                         const AllocationVisitor& visit) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return Failure{FailureReason::empty, "empty response body"};
  auto first = body[body.find_first_not_of(" \t\r\n")];
  if (first != '{') return Failure{FailureReason::parse, describe_non_json(body)};

  od::parser parser;
  od::document doc;
  if (auto err = parser.iterate(body.data(), body.size(), capacity).get(doc))
    return Failure{FailureReason::parse,
                   std::string("invalid JSON: ") + simdjson::error_message(err)};
  Parser p(options, visit);
  od::object root;
  if (auto err = doc.get_object().get(root)) return json_failure(err, doc, body);

  std::int64_t code = 200;
  std::string message;
  bool saw_data = false;
  for (auto field : root) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_failure(err, doc, body);
    od::value v = field.value();
    if (key == "code") {
      double d;
      if (!v.get_double().get(d)) code = static_cast<std::int64_t>(d);
    } else if (key == "message") {
      std::string_view m;
      if (!v.get_string().get(m)) message = std::string(m.substr(0, 200));
    } else if (key == "data") {
      saw_data = true;
      od::json_type type;
      if (auto err = v.type().get(type)) return json_failure(err, doc, body);
      if (type == od::json_type::array) {
        od::array sets;
        if (auto err = v.get_array().get(sets)) return json_failure(err, doc, body);
        for (auto set : sets) {
          od::value sv;
          if (auto err = set.get(sv)) return json_failure(err, doc, body);
          if (auto err = p.parse_set(sv)) return json_failure(err, doc, body);
        }
      } else if (type == od::json_type::object) {
        if (auto err = p.parse_set(v)) return json_failure(err, doc, body);
      }
    }
  }
  if (const char* rest = nullptr; !doc.current_location().get(rest))
    return json_failure(simdjson::TRAILING_CONTENT, doc, body);
  if (code != 200)
    return Failure{FailureReason::http_status, "Kubecost answered code " + std::to_string(code) +
                                                   (message.empty() ? "" : ": " + message)};
  if (!saw_data) return Failure{FailureReason::parse, "response has no \"data\" field"};
  if (p.count() == 0)
    return Failure{FailureReason::empty, "response holds no allocations (data: " +
                                             std::to_string(p.sets()) + " non-null sets)"};
  return ParseSummary{p.sets(), p.count()};
}

Expected<ParseSummary> parse_allocations(const std::string& body, const ParseOptions& options,
                                         const AllocationVisitor& visit) {
  std::string padded;
  padded.reserve(body.size() + k_body_padding);
  padded = body;
  return parse_allocations(padded, padded.capacity(), options, visit);
}

}  // namespace kci
