#pragma once
// The process environment as a lookup function, so tests can hand load_config a fake one.
#include <functional>
#include <optional>
#include <string>

namespace kci {

// The value of an environment variable, or nullopt when it is not set ("" is a value).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Reads the real environment (getenv) at the time of each call.
EnvLookup process_environment();

}  // namespace kci
