// poll-limit-ondemand FILE.gz RUNS KEYS: simdjson On-Demand over the inflated answer, reading only
// the fields the exporter uses (the limit for a one-pass decoder), for tests/bench/poll_limit.py.
// KEYS: the allocation fields read as numbers, comma-separated (`poll-limit-bench keys`);
// `properties`, `window`, `start` and `end` are read too. Prints the fastest of RUNS and three
// kernel names (simdjson 3.0.1 as Debian ships it, /usr/include/simdjson.h):
//   compiled  SIMDJSON_BUILTIN_IMPLEMENTATION in this program: the code of On-Demand's
//             iteration (stage 2: keys, strings, numbers), inline in the header and compiled for
//             the program's target;
//   stage1    simdjson::get_active_implementation(): ondemand::parser::allocate takes the
//             structural indexing (stage 1) from the library, dispatched at run time;
//   builtin   simdjson::builtin_implementation()->name(), defined in libsimdjson, so the
//             library's build (fallback), whatever this program was compiled for.
//
// This program is built twice (tests/CMakeLists.txt), as poll-limit-ondemand with the default
// flags (baseline x86-64: stage 2 compiles to the `fallback` kernel) and as
// poll-limit-ondemand-haswell with -mavx2 -mbmi -mpclmul -mlzcnt -mpopcnt (`haswell`). Two
// programs, not two units of one: units built for different targets would share simdjson's
// inline functions outside its kernel namespaces, one copy for both.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "bench/gzip_answer_file.hpp"

#define KCI_STRINGIFY_(x) #x
#define KCI_STRINGIFY(x) KCI_STRINGIFY_(x)

namespace {

namespace od = simdjson::ondemand;

// Wanted key -> index by open addressing, so an unwanted key costs a hash and one compare.
class KeyTable {
 public:
  explicit KeyTable(std::vector<std::string> keys) : m_keys(std::move(keys)) {
    m_slots.fill(-1);
    for (std::size_t i = 0; i < m_keys.size(); ++i) {
      std::size_t h = hash(m_keys[i]);
      while (m_slots[h] >= 0) h = (h + 1) % m_slots.size();
      m_slots[h] = static_cast<int>(i);
    }
  }
  bool has(std::string_view key) const {
    for (std::size_t h = hash(key);; h = (h + 1) % m_slots.size()) {
      if (m_slots[h] < 0) return false;
      if (m_keys[static_cast<std::size_t>(m_slots[h])] == key) return true;
    }
  }

 private:
  static std::size_t hash(std::string_view k) {
    return k.empty() ? 0
                     : (k.size() * 31 + static_cast<unsigned char>(k[0]) * 7 +
                        static_cast<unsigned char>(k.back())) %
                           128;
  }
  std::vector<std::string> m_keys;
  std::array<int, 128> m_slots{};
};

// An object of strings (labels, window): their lengths summed.
double string_map(od::value v) {
  double sum = 0;
  od::object o;
  if (v.get_object().get(o)) return 0;
  for (auto field : o) {
    std::string_view s;
    if (!field.value().get_string().get(s)) sum += static_cast<double>(s.size());
  }
  return sum;
}

double read_properties(od::value v) {
  double sum = 0;
  od::object o;
  if (v.get_object().get(o)) return 0;
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) continue;
    if (key == "labels" || key == "namespaceLabels") {
      sum += string_map(field.value());
    } else if (key == "cluster" || key == "namespace" || key == "pod" || key == "node" ||
               key == "controller" || key == "controllerKind" || key == "container" ||
               key == "providerID") {
      std::string_view s;
      if (!field.value().get_string().get(s)) sum += static_cast<double>(s.size());
    }
  }
  return sum;
}

// One pass: data -> sets -> allocations -> the wanted fields. False on malformed JSON.
bool read_answer(od::parser& parser, const simdjson::padded_string_view& json, const KeyTable& keys,
                 std::size_t& allocations, double& checksum) {
  od::document doc;
  if (parser.iterate(json).get(doc)) return false;
  od::object root;
  if (doc.get_object().get(root)) return false;
  for (auto member : root) {
    std::string_view key;
    if (member.unescaped_key().get(key)) return false;
    if (key != "data") continue;
    od::array sets;
    if (member.value().get_array().get(sets)) return false;
    for (auto set : sets) {
      od::object allocs;
      if (set.get_object().get(allocs)) continue;  // a null set
      for (auto alloc : allocs) {
        od::object fields;
        if (alloc.value().get_object().get(fields)) return false;
        ++allocations;
        for (auto field : fields) {
          std::string_view name;
          if (field.unescaped_key().get(name)) return false;
          if (name == "properties") {
            checksum += read_properties(field.value());
          } else if (name == "window") {
            checksum += string_map(field.value());
          } else if (name == "start" || name == "end") {
            std::string_view s;
            if (!field.value().get_string().get(s)) checksum += static_cast<double>(s.size());
          } else if (keys.has(name)) {
            double d;
            if (!field.value().get_double().get(d)) checksum += d;
          }
        }
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: poll-limit-ondemand FILE.gz RUNS KEYS\n");
    return 2;
  }
  const std::string gz = kci::bench::read_file(argv[1]);
  const int runs = std::max(1, std::atoi(argv[2]));
  std::vector<std::string> key_list;
  for (std::string_view rest = argv[3]; !rest.empty();) {
    const auto comma = rest.find(',');
    key_list.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  const KeyTable keys(std::move(key_list));
  const std::size_t size = kci::bench::gzip_text_size(gz);
  auto text = kci::bench::text_buffer(gz, simdjson::SIMDJSON_PADDING);
  if (size == 0 || !kci::bench::inflate_whole(gz, text.get())) {
    std::fprintf(stderr, "cannot inflate %s\n", argv[1]);
    return 1;
  }
  const simdjson::padded_string_view json(text.get(), size, size + simdjson::SIMDJSON_PADDING);
  od::parser parser;
  std::size_t allocations = 0;
  double checksum = 0, best = std::numeric_limits<double>::infinity();
  for (int i = 0; i <= runs; ++i) {  // the first is a warm-up
    allocations = 0;
    checksum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (!read_answer(parser, json, keys, allocations, checksum)) {
      std::fprintf(stderr, "On-Demand failed on %s\n", argv[1]);
      return 1;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (i > 0) best = std::min(best, ms);
  }
  std::printf("ondemand_ms=%.3f compiled=%s stage1=%s builtin=%s allocations=%zu checksum=%.6g\n",
              best, KCI_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION),
              simdjson::get_active_implementation()->name().c_str(),
              simdjson::builtin_implementation()->name().c_str(), allocations, checksum);
  return 0;
}
