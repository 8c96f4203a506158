#include "exporter/app/doctor_remote_write.hpp"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <vector>

#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::string_view k_check = "remote_write tenant";
// A series the exporter publishes, as Prometheus' relabelling sees it.
constexpr const char* k_our_series = "cloudtuner_kubecost_namespace_total_cost";

// Whether the queue's write_relabel_configs let our series through. Prometheus' relabel
// defaults (model/relabel): action replace, separator ";", regex "(.*)", fully anchored.
bool keeps_our_series(const YAML::Node& queue) {
  const YAML::Node relabels = queue["write_relabel_configs"];
  if (!relabels || !relabels.IsSequence()) return true;
  for (const auto& r : relabels) {
    const std::string action = r["action"] ? r["action"].as<std::string>() : "replace";
    if (action != "keep" && action != "drop") continue;
    const YAML::Node sources = r["source_labels"];
    if (!sources || !sources.IsSequence() || sources.size() != 1 ||
        sources[0].as<std::string>() != "__name__")
      continue;  // on other labels: cannot tell here, taken to keep
    const std::string regex = r["regex"] ? r["regex"].as<std::string>() : "(.*)";
    bool match = false;
    try {
      match = std::regex_match(k_our_series, std::regex(regex, std::regex::ECMAScript));
    } catch (const std::regex_error&) {
      continue;  // RE2 syntax std::regex does not know: cannot tell
    }
    if ((action == "keep" && !match) || (action == "drop" && match)) return false;
  }
  return true;
}

std::string queue_name(const YAML::Node& queue, std::size_t index) {
  if (queue["name"]) return "\"" + queue["name"].as<std::string>() + "\"";
  if (queue["url"]) return queue["url"].as<std::string>();
  return "#" + std::to_string(index + 1);
}

}  // namespace

Verdict remote_write_tenant_verdict(std::string_view body, const std::string& tenant_id,
                                    const std::string& remote_name) {
  const std::string check(k_check);
  std::string yaml_text;
  {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(body);
    std::string_view yaml;
    if (parser.parse(padded).at_pointer("/data/yaml").get(yaml) != simdjson::SUCCESS)
      return {VerdictStatus::fail, check,
              "Prometheus' /api/v1/status/config answer holds no data.yaml"};
    yaml_text = std::string(yaml);
  }
  YAML::Node config;
  try {
    config = YAML::Load(yaml_text);
  } catch (const YAML::Exception&) {
    return {VerdictStatus::fail, check, "Prometheus' loaded configuration is not YAML"};
  }
  const YAML::Node queues = config["remote_write"];
  if (!queues || !queues.IsSequence() || queues.size() == 0)
    return {VerdictStatus::fail, check,
            "Prometheus has no remote_write: nothing reaches CloudTuner (set "
            "kubecost.prometheus.server.remoteWrite)"};
  std::vector<std::string> good, bad;
  bool redacted = false;
  for (std::size_t i = 0; i < queues.size(); ++i) {
    const YAML::Node queue = queues[i];
    if (!remote_name.empty() && (!queue["name"] || queue["name"].as<std::string>() != remote_name))
      continue;
    if (!keeps_our_series(queue)) continue;
    const std::string who = queue_name(queue, i);
    std::optional<std::string> value;
    if (const YAML::Node headers = queue["headers"]; headers && headers.IsMap())
      for (const auto& h : headers)
        if (iequals_ascii(h.first.as<std::string>(), "Cloud-Account-Id"))
          value = h.second.as<std::string>();
    if (!value) {
      bad.push_back(who + " sends no Cloud-Account-Id header");
    } else if (*value == "<secret>") {
      redacted = true;
      good.push_back(who + " (Cloud-Account-Id shown as <secret>: not verified)");
    } else if (*value != tenant_id) {
      bad.push_back(who + " sends Cloud-Account-Id \"" + *value + "\", but TENANT_ID is \"" +
                    tenant_id + "\"");
    } else {
      good.push_back(who + " sends Cloud-Account-Id \"" + *value + "\"");
    }
  }
  if (!bad.empty()) return {VerdictStatus::fail, check, bad.front()};
  if (good.empty() && !remote_name.empty())
    return {VerdictStatus::fail, check,
            "no remote_write named \"" + remote_name + "\" keeps cloudtuner_kubecost_*"};
  if (good.empty())
    return {VerdictStatus::fail, check,
            "no remote_write keeps cloudtuner_kubecost_* (its write_relabel_configs drop them)"};
  std::string list;
  for (const auto& g : good) list += (list.empty() ? "" : "; ") + g;
  return {redacted ? VerdictStatus::warn : VerdictStatus::ok, check, list};
}

}  // namespace kci
