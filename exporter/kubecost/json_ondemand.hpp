#pragma once
// Helpers over simdjson's on-demand values shared by the Kubecost parsers: Kubecost answers put
// `null`, arrays or numbers where objects and strings usually are, and those are skipped, not
// errors. The error codes returned are real JSON errors.
#include <simdjson.h>

#include <string_view>

namespace kci::json {

namespace od = simdjson::ondemand;

// `is_object` tells whether `v` was an object (then `out` iterates it).
inline simdjson::error_code if_object(od::value v, od::object& out, bool& is_object) {
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  is_object = type == od::json_type::object;
  return is_object ? v.get_object().get(out) : simdjson::SUCCESS;
}

// Sets `out` when `v` is a string; leaves it unchanged otherwise.
inline simdjson::error_code if_string(od::value v, std::string_view& out) {
  od::json_type type;
  if (auto err = v.type().get(type)) return err;
  return type == od::json_type::string ? v.get_string().get(out) : simdjson::SUCCESS;
}

}  // namespace kci::json
