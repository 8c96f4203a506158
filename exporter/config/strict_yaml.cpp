#include "exporter/config/strict_yaml.hpp"

#include <yaml-cpp/eventhandler.h>

#include <map>
#include <sstream>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci {
namespace {

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Counts documents and finds the first repeated key of any mapping.
class KeyChecker : public YAML::EventHandler {
 public:
  int documents = 0;
  std::optional<DuplicateKey> duplicate;

  // yaml-cpp 0.7 answers a stray ',' outside any collection with an endless run of empty
  // documents that all start at the same place (and YAML::Load with an empty config): a
  // document starting where the previous one did is no progress, so parsing stops there.
  std::optional<YAML::Mark> stuck_at;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents > 0 && mark.pos == m_last_document_pos) stuck_at = mark;
    m_last_document_pos = mark.pos;
    ++documents;
    m_stack.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, nullptr); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    leaf(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool is_map = false;
    std::string path;
    bool expect_key = true;  // mappings alternate key, value
    std::string key;         // the key whose value comes next
    std::size_t index = 0;   // sequences: the next item's index
    std::map<std::string, int> key_lines;
  };
  std::vector<Frame> m_stack;
  int m_last_document_pos = -1;

  // A scalar, null or alias: a mapping key when the enclosing mapping expects one.
  void leaf(const YAML::Mark& mark, const std::string* scalar) {
    if (!m_stack.empty() && m_stack.back().is_map && m_stack.back().expect_key) {
      Frame& f = m_stack.back();
      f.key = scalar != nullptr ? *scalar : "(key)";
      f.expect_key = false;
      if (scalar == nullptr) return;  // null or alias keys: the loaders refuse them anyway
      auto [it, inserted] = f.key_lines.emplace(*scalar, mark.line + 1);
      if (!inserted && !duplicate)
        duplicate = DuplicateKey{join(f.path, *scalar), it->second, mark.line + 1};
      return;
    }
    node_done();
  }

  void open(bool is_map) {
    Frame child;
    child.is_map = is_map;
    if (!m_stack.empty()) {
      const Frame& f = m_stack.back();
      if (!f.is_map)
        child.path = f.path + "[" + std::to_string(f.index) + "]";
      else
        child.path = join(f.path, f.expect_key ? "(key)" : f.key);
    }
    m_stack.push_back(std::move(child));
  }

  void close() {
    m_stack.pop_back();
    node_done();
  }

  // A whole node of the enclosing collection has been read.
  void node_done() {
    if (m_stack.empty()) return;
    Frame& f = m_stack.back();
    if (!f.is_map) {
      ++f.index;
    } else if (f.expect_key) {  // a mapping or sequence used as a key
      f.key = "(key)";
      f.expect_key = false;
    } else {
      f.expect_key = true;
    }
  }
};

}  // namespace

StrictYaml load_strict_yaml(const std::string& text, const std::string& what,
                            const std::string& name) {
  StrictYaml out;
  KeyChecker checker;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(checker) && !checker.stuck_at) {
    }
    if (!checker.stuck_at) out.root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(what + ": \"" + name + "\" is not valid YAML: " + e.msg + " at line " +
                      std::to_string(e.mark.line + 1));
  }
  if (checker.stuck_at) {
    const auto pos = static_cast<std::size_t>(checker.stuck_at->pos);
    const char c = pos < text.size() ? text[pos] : '\0';
    const std::string token = c > ' ' && c < 0x7f ? "'" + std::string(1, c) + "'" : "input";
    throw ConfigError(what + ": \"" + name + "\" is not valid YAML: unexpected " + token +
                      " at line " + std::to_string(checker.stuck_at->line + 1));
  }
  if (checker.documents > 1)
    throw ConfigError(what + ": \"" + name + "\" holds more than one YAML document");
  out.duplicate = checker.duplicate;
  return out;
}

}  // namespace kci
