// load_config, describe_config and usage_text (declared in config.hpp): the precedence of the
// sources and the two texts printed from the settings table. (The table itself is settings.cpp,
// which git still tracks as the former config.cpp, so edits made to the table there follow it.)
#include "exporter/config/config.hpp"
#include "exporter/config/config_file.hpp"
#include "exporter/config/settings.hpp"
#include "exporter/http/request_credentials.hpp"
#include "exporter/util/result.hpp"

namespace kci {
namespace {

// The credential settings fit together and their files are good now (exit 2 at start-up rather
// than a failing poll); HttpClient reads the files again before every request.
void check_kubecost_credentials(const HttpEndpoint& k) {
  if (k.basic_auth_username.empty() != k.basic_auth_password_file.empty())
    throw ConfigError(
        "kubecostBasicAuthUsername and kubecostBasicAuthPasswordFile: set both or neither");
  const bool basic = !k.basic_auth_username.empty();
  if (basic && !k.bearer_token_file.empty())
    throw ConfigError(
        "kubecostBearerTokenFile and kubecostBasicAuthUsername both set the Authorization "
        "header; configure one of them");
  if (basic) read_password_file(k.basic_auth_password_file);
  if (!k.headers_file.empty())
    read_headers_file(k.headers_file, basic || !k.bearer_token_file.empty());
}

}  // namespace

Config load_config(const CommandLine& cli, const EnvLookup& env) {
  Config config;
  for (const auto& s : settings()) config.origin[s.key] = "default";
  for (const auto& [name, value] : cli.flags)
    if (name == "config.file") apply_config_file(config, value);
  for (const auto& s : settings()) {
    if (!*s.env) continue;
    if (auto v = env(s.env)) apply_setting(config, s, *v, std::string("env ") + s.env);
  }
  for (const auto& [name, value] : cli.flags) {
    if (const Setting* s = find_setting_by_flag(name))
      apply_setting(config, *s, value, "flag --" + name);
  }
  if (config.max_staleness.count() > 0 && config.max_staleness < config.scrape_interval)
    throw ConfigError("maxStaleness: invalid value \"" + format_duration(config.max_staleness) +
                      "\": must be at least scrapeInterval (" +
                      format_duration(config.scrape_interval) + ")");
  check_kubecost_credentials(config.kubecost);
  // kubernetes/client-go tools/leaderelection/leaderelection.go NewLeaderElector: leaseDuration
  // must be greater than renewDeadline, and renewDeadline greater than retryPeriod * JitterFactor
  // (1.2).
  const auto& le = config.leader_election;
  if (le.lease_duration <= le.renew_deadline)
    throw ConfigError("leaderElection.leaseDuration: invalid value \"" +
                      format_duration(le.lease_duration) +
                      "\": must be greater than leaderElection.renewDeadline (" +
                      format_duration(le.renew_deadline) + ")");
  if (le.renew_deadline.count() * 10 <= le.retry_period.count() * 12)
    throw ConfigError("leaderElection.renewDeadline: invalid value \"" +
                      format_duration(le.renew_deadline) +
                      "\": must be greater than 1.2 x leaderElection.retryPeriod (" +
                      format_duration(le.retry_period) + ")");
  return config;
}

std::string describe_config(const Config& config) {
  std::string out;
  for (const auto& s : settings()) {
    out += s.key;
    out += " = ";
    out += s.show(config);
    auto origin = config.origin.find(s.key);
    out +=
        "  (" + (origin == config.origin.end() ? std::string("default") : origin->second) + ")\n";
  }
  return out;
}

std::string usage_text() {
  std::string out =
      "Usage: allocation-exporter [serve|check-config|doctor|s3-export] [flags]\n"
      "       allocation-exporter --version\n\n"
      "Flags (each also settable by YAML key or environment variable; flags win):\n"
      "  --config.file FILE   YAML file with the keys below (unknown keys are errors)\n";
  for (const auto& s : settings()) {
    std::string flag = *s.flag ? std::string("--") + s.flag : std::string("(no flag)");
    out += "  " + flag + std::string(flag.size() < 32 ? 32 - flag.size() : 1, ' ') + "yaml " +
           s.key + (*s.env ? std::string(", env ") + s.env : "") + "\n";
  }
  return out;
}

}  // namespace kci
