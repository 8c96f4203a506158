#pragma once
// The command line: `allocation-exporter [serve|check-config|s3-export] [--flag[=value] ...]`.
// Only splits and checks names here; values are parsed by the settings table when load_config
// applies them, after the YAML file and the environment.
#include <string>
#include <utility>
#include <vector>

namespace kci {

// A parsed command line: the mode word and the --flag values in order.
struct CommandLine {
  std::string mode = "serve";  // serve | check-config | doctor | s3-export
  std::vector<std::pair<std::string, std::string>> flags;  // name without "--", value
  bool show_version = false;
  bool show_help = false;
};

// Flags are `--name=value` or `--name value`; a boolean flag may stand alone (`--demo`).
// --config.file is the one flag that is not a setting. Throws ConfigError naming the argument
// on an unknown command or flag, a stray argument or a missing value.
CommandLine parse_command_line(int argc, const char* const* argv);

}  // namespace kci
