#include "exporter/config/config_file.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "exporter/config/settings.hpp"
#include "exporter/util/result.hpp"

namespace kci {

void apply_config_file(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("config.file: cannot read \"" + path + "\"");
  std::stringstream text;
  text << in.rdbuf();
  apply_yaml_text(config, text.str(), path);
}

void apply_yaml_text(Config& config, const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("config.file: \"" + path + "\" is not valid YAML: " + e.msg + " at line " +
                      std::to_string(e.mark.line + 1));
  }
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
