#include "exporter/config/config_file.hpp"

#include "exporter/config/settings.hpp"
#include "exporter/config/strict_yaml.hpp"
#include "exporter/util/file_reader.hpp"
#include "exporter/util/result.hpp"

namespace kci {

void apply_config_file(Config& config, const std::string& path) {
  apply_yaml_text(config, read_config_file("config.file", path), path);
}

void apply_yaml_text(Config& config, const std::string& text, const std::string& path) {
  StrictYaml yaml = load_strict_yaml(text, "config.file", path);
  if (yaml.duplicate)
    throw ConfigError(yaml.duplicate->path + ": duplicate key in " + path + " (lines " +
                      std::to_string(yaml.duplicate->first_line) + " and " +
                      std::to_string(yaml.duplicate->second_line) + ")");
  const YAML::Node& root = yaml.root;
  if (root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError("config.file: \"" + path + "\" must be a YAML mapping");
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) throw ConfigError("config.file: keys must be plain names");
    std::string key = entry.first.as<std::string>();
    const Setting* setting = find_setting_by_key(key);
    if (setting == nullptr) throw ConfigError(key + ": unknown key in " + path);
    const YAML::Node& node = entry.second;
    std::string value;
    if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) throw ConfigError(key + ": list items must be plain values");
        value += (value.empty() ? "" : ",") + item.as<std::string>();
      }
    } else if (node.IsScalar()) {
      value = node.as<std::string>();
    } else if (node.IsNull()) {
      value = "";
    } else {
      throw ConfigError(key + ": expected a plain value, not a mapping");
    }
    apply_setting(config, *setting, value, "file");
  }
}

}  // namespace kci
