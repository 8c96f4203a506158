#include "exporter/config/command_line.hpp"

#include <string_view>

#include "exporter/config/settings.hpp"
#include "exporter/util/result.hpp"

namespace kci {

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cli;
  int i = 1;
  if (i < argc && argv[i][0] != '-') {
    std::string mode = argv[i++];
    if (mode != "serve" && mode != "check-config" && mode != "s3-export" && mode != "doctor")
      throw ConfigError("command: unknown command \"" + mode +
                        "\" (expected serve, check-config, doctor or s3-export)");
    cli.mode = mode;
  }
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      cli.show_version = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      cli.show_help = true;
      continue;
    }
    if (!arg.starts_with("--"))
      throw ConfigError("command line: unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Setting* setting = find_setting_by_flag(name);
    if (name != "config.file" && setting == nullptr)
      throw ConfigError("--" + name + ": unknown flag (see --help)");
    if (!has_value) {
      // Boolean flags stand alone ("--demo"); others take the next argument.
      std::string shown = setting != nullptr ? setting->show(Config{}) : "";
      bool boolean = shown == "true" || shown == "false";
      if (boolean && (i + 1 >= argc || std::string_view(argv[i + 1]).starts_with("--"))) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw ConfigError("--" + name + ": missing value");
      }
    }
    cli.flags.emplace_back(name, value);
  }
  return cli;
}

}  // namespace kci
