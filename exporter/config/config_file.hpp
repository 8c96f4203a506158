#pragma once
// The --config.file format: one flat YAML mapping of setting keys (the YAML column of the
// settings table) to plain values, or lists of plain values for list settings. Strict like the
// exporter-toolkit's web config: an unknown key, a nested mapping or a list of non-scalars is an
// error, never silently ignored.
#include <string>

#include "exporter/config/config.hpp"

namespace kci {

// Reads the file at `path` (read_config_file: a regular file of at most 1 MiB) and applies it on
// top of `config` (each key's origin becomes "file"). Throws ConfigError("config.file: ...") when
// the file cannot be read, or as apply_yaml_text.
void apply_config_file(Config& config, const std::string& path);

// Applies YAML text on top of `config`; `source_name` names it in errors. Throws ConfigError
// with one line naming the key (or the file, for a YAML syntax error) and the problem; a key
// given twice is "<key>: duplicate key in <source_name> (lines A and B)", and a second YAML
// document is refused (strict_yaml.hpp).
void apply_yaml_text(Config& config, const std::string& text, const std::string& source_name);

}  // namespace kci
