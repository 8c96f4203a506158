#pragma once
// YAML as both configuration files read it. yaml-cpp alone keeps a repeated mapping key (the
// lookup sees the first, iteration sees both, so the last one applied wins) and silently drops
// every document after the first; either hides a mistake in a hand-edited file, so both are
// found here, on the parser's event stream (aliases are not expanded, so the walk is linear).
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace kci {

// A key that appears twice in one mapping.
struct DuplicateKey {
  std::string path;     // dotted from the root: "tls_server_config.cert_file", "a[2].b"
  int first_line = 0;   // 1-based line of the first occurrence
  int second_line = 0;  // 1-based line of the repetition
};

struct StrictYaml {
  YAML::Node root;                        // Null for an empty file
  std::optional<DuplicateKey> duplicate;  // the first repeated key, at any depth
};

// Parses `text` (named `name` in errors, for the setting `what`). Throws ConfigError:
//   <what>: "<name>" is not valid YAML: <parser message> at line N
//   <what>: "<name>" holds more than one YAML document
//   <what>: "<name>" is not valid YAML: unexpected ',' at line N   (what yaml-cpp reads as
//            endless empty documents, and YAML::Load as an empty file)
// A repeated key is returned rather than thrown, so each loader can name it in its own style.
StrictYaml load_strict_yaml(const std::string& text, const std::string& what,
                            const std::string& name);

}  // namespace kci
