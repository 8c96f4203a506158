#pragma once
// The settings table: every setting exactly once, with its YAML key, environment variable,
// command-line flag, parser and display. The command line, the YAML file, the environment,
// describe_config and usage_text all read this one table, so a setting cannot be accepted in one
// place and missing from another; the tables in docs/ (docs/settings.md and the pages it links)
// and config/allocation-exporter.example.yaml document the same list (a unit test checks the
// example file against it).
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/config.hpp"

namespace kci {

struct Setting {
  const char* key;   // YAML key
  const char* env;   // environment variable ("" for none)
  const char* flag;  // command-line flag without "--" ("" for none)
  // Parses `value` into the config. Throws ConfigError naming `key` and the value.
  std::function<void(Config&, const std::string& key, const std::string& value)> apply;
  // The value as describe_config prints it; secrets and URL credentials are redacted.
  std::function<std::string(const Config&)> show;
};

// Every setting, in the order describe_config and usage_text list them.
const std::vector<Setting>& settings();

// The setting with this YAML key, or nullptr.
const Setting* find_setting_by_key(std::string_view key);

// The setting with this flag (without "--"), or nullptr; "" matches nothing.
const Setting* find_setting_by_flag(std::string_view flag);

// Parses `value` into `config` through `s` and records `origin` ("file", "env NAME",
// "flag --name") for describe_config. Throws ConfigError from the setting's parser.
void apply_setting(Config& config, const Setting& s, const std::string& value, std::string origin);

}  // namespace kci
