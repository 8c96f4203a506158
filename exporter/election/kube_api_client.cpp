#include "exporter/election/kube_api_client.hpp"

#include <unistd.h>

#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "exporter/config/strict_yaml.hpp"
#include "exporter/util/file_reader.hpp"
#include "exporter/util/result.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// A scalar string at node[key], "" when absent; throws when present but not a scalar.
std::string scalar(const YAML::Node& node, const char* key, const std::string& field) {
  const YAML::Node v = node[key];
  if (!v || v.IsNull()) return {};
  if (!v.IsScalar()) throw ConfigError(field + "." + key + ": expected a plain value");
  return v.as<std::string>();
}

// The entry of the list `list` whose name is `name`, as its `inner` mapping.
YAML::Node named_entry(const YAML::Node& root, const char* list, const char* inner,
                       const std::string& name, const std::string& where) {
  const YAML::Node items = root[list];
  if (items && !items.IsSequence() && !items.IsNull())
    throw ConfigError(where + std::string(list) + ": expected a list");
  if (items && items.IsSequence()) {
    for (const auto& item : items) {
      if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) continue;
      if (item["name"].as<std::string>() != name) continue;
      const YAML::Node v = item[inner];
      if (!v || !v.IsMap())
        throw ConfigError(where + list + "[name=" + name + "]." + inner +
                          ": missing or not a mapping");
      return v;
    }
  }
  throw ConfigError(where + list + "[name=" + name + "]: not found");
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  return base_dir + "/" + p;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  unsigned int buf = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      ++pad;
      continue;
    } else if (c == '\n' || c == '\r') {
      continue;
    } else {
      return std::nullopt;
    }
    if (pad) return std::nullopt;  // data after padding
    buf = (buf << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  if (pad > 2 || bits >= 6) return std::nullopt;
  return out;
}

KubeConnection in_cluster_connection(const EnvLookup& env, const std::string& sa_dir) {
  // client-go rest.InClusterConfig: both variables, the token file and ca.crt.
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty())
    throw ConfigError(
        "leaderElection: not in a cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
        "are unset) and no kubeconfig given (KUBECONFIG / --kubeconfig)");
  if (port->find_first_not_of("0123456789") != std::string::npos || port->size() > 5)
    throw ConfigError("KUBERNETES_SERVICE_PORT: invalid value \"" + one_line(*port, 40) +
                      "\": not a port number");
  if (host->find_first_of(" /\t\r\n@") != std::string::npos)
    throw ConfigError("KUBERNETES_SERVICE_HOST: invalid value \"" + one_line(*host, 80) +
                      "\": not a host");
  KubeConnection c;
  const bool ipv6 = host->find(':') != std::string::npos;
  c.endpoint.url = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  c.endpoint.bearer_token_file = sa_dir + "/token";
  if (!readable(c.endpoint.bearer_token_file))
    throw ConfigError("leaderElection: cannot read the service-account token \"" +
                      c.endpoint.bearer_token_file +
                      "\" (automountServiceAccountToken must be true)");
  c.endpoint.ca_file = sa_dir + "/ca.crt";
  if (!readable(c.endpoint.ca_file))
    throw ConfigError("leaderElection: cannot read the service-account CA \"" + c.endpoint.ca_file +
                      "\"");
  std::ifstream ns(sa_dir + "/namespace");
  if (ns) {
    std::string text((std::istreambuf_iterator<char>(ns)), {});
    c.namespace_name = trimmed(text);
  }
  c.source = "in-cluster";
  return c;
}

KubeConnection parse_kubeconfig(const std::string& path, const std::string& text) {
  const std::string where = "kubeconfig \"" + path + "\": ";
  StrictYaml yaml = load_strict_yaml(text, "kubeconfig", path);
  if (yaml.duplicate)
    throw ConfigError(where + yaml.duplicate->path + ": duplicate key (lines " +
                      std::to_string(yaml.duplicate->first_line) + " and " +
                      std::to_string(yaml.duplicate->second_line) + ")");
  const YAML::Node& root = yaml.root;
  if (!root.IsMap()) throw ConfigError(where + "not a YAML mapping");
  const std::string context_name =
      scalar(root, "current-context", where.substr(0, where.size() - 2));
  if (context_name.empty()) throw ConfigError(where + "current-context: missing or empty");
  const YAML::Node context = named_entry(root, "contexts", "context", context_name, where);
  const std::string ctx_field = where + "contexts[name=" + context_name + "].context";
  const std::string cluster_name = scalar(context, "cluster", ctx_field);
  const std::string user_name = scalar(context, "user", ctx_field);
  if (cluster_name.empty()) throw ConfigError(ctx_field + ".cluster: missing or empty");

  const std::string base_dir = path.find('/') == std::string::npos
                                   ? std::string(".")
                                   : path.substr(0, std::max<std::size_t>(path.rfind('/'), 1));
  KubeConnection c;
  c.source = "kubeconfig " + path;
  c.namespace_name = scalar(context, "namespace", ctx_field);

  const YAML::Node cluster = named_entry(root, "clusters", "cluster", cluster_name, where);
  const std::string cl_field = where + "clusters[name=" + cluster_name + "].cluster";
  const std::string server = scalar(cluster, "server", cl_field);
  if (!(server.starts_with("http://") || server.starts_with("https://")) || server.size() < 9 ||
      server.find_first_of(" \t\r\n") != std::string::npos)
    throw ConfigError(cl_field + ".server: invalid value \"" + redact_url(one_line(server, 120)) +
                      "\": expected an http:// or https:// URL");
  c.endpoint.url = server;
  while (c.endpoint.url.back() == '/') c.endpoint.url.pop_back();
  const std::string ca = scalar(cluster, "certificate-authority", cl_field);
  const std::string ca_data = scalar(cluster, "certificate-authority-data", cl_field);
  const std::string insecure = scalar(cluster, "insecure-skip-tls-verify", cl_field);
  if (!insecure.empty()) {
    if (insecure != "true" && insecure != "false")
      throw ConfigError(cl_field + ".insecure-skip-tls-verify: invalid value \"" +
                        one_line(insecure, 40) + "\": expected true or false");
    c.endpoint.insecure_skip_verify = insecure == "true";
  }
  if (!ca.empty() && !ca_data.empty())
    throw ConfigError(cl_field +
                      ": certificate-authority and certificate-authority-data are both set");
  if (!ca.empty()) {
    c.endpoint.ca_file = resolve(base_dir, ca);
    if (!readable(c.endpoint.ca_file))
      throw ConfigError(cl_field + ".certificate-authority: cannot read \"" + c.endpoint.ca_file +
                        "\"");
  }
  if (!ca_data.empty()) {
    auto pem = base64_decode(ca_data);
    if (!pem || pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      throw ConfigError(cl_field + ".certificate-authority-data: not base64 of a PEM certificate");
    c.ca_pem = *pem;
  }
  if (server.starts_with("http://") && (!ca.empty() || !ca_data.empty()))
    throw ConfigError(cl_field + ".server: a certificate authority is set for an http:// server");

  if (!user_name.empty()) {
    const YAML::Node user = named_entry(root, "users", "user", user_name, where);
    const std::string u_field = where + "users[name=" + user_name + "].user";
    for (const char* unsupported :
         {"client-certificate", "client-certificate-data", "client-key", "client-key-data", "exec",
          "auth-provider", "username", "password", "as"})
      if (user[unsupported])
        throw ConfigError(u_field + "." + unsupported +
                          ": not supported (use token or tokenFile, as a service account does)");
    const std::string token = scalar(user, "token", u_field);
    const std::string token_file = scalar(user, "tokenFile", u_field);
    if (!token.empty() && !token_file.empty())
      throw ConfigError(u_field + ": token and tokenFile are both set");
    if (token.find_first_of("\r\n") != std::string::npos)
      throw ConfigError(u_field + ".token: holds a line break");
    c.endpoint.bearer_token = token;
    if (!token_file.empty()) {
      c.endpoint.bearer_token_file = resolve(base_dir, token_file);
      if (!readable(c.endpoint.bearer_token_file))
        throw ConfigError(u_field + ".tokenFile: cannot read \"" + c.endpoint.bearer_token_file +
                          "\"");
    }
  }
  return c;
}

KubeConnection load_kubeconfig(const std::string& path) {
  return parse_kubeconfig(path, read_config_file("kubeconfig", path));
}

KubeApiClient::KubeApiClient(KubeConnection connection) : m_connection(std::move(connection)) {
  m_connection.endpoint.retries = 0;  // the elector retries every retry period itself
  m_connection.endpoint.max_response_bytes = 1 << 20;
  m_connection.endpoint.request_timeout_name = "leaderElection.renewDeadline";
  m_connection.endpoint.size_setting = "the Lease answer cap (1 MiB)";
  if (!m_connection.ca_pem.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string name = std::string(tmp && *tmp ? tmp : "/tmp") + "/kci-kube-ca-XXXXXX";
    const int fd = ::mkstemp(name.data());
    bool ok = fd >= 0;
    if (ok) {
      const std::string& pem = m_connection.ca_pem;
      ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
      ::close(fd);
    }
    if (!ok)
      throw ConfigError("kubeconfig: certificate-authority-data: cannot write it to \"" + name +
                        "\" (set TMPDIR to a writable directory)");
    m_ca_temp = name;
    m_connection.endpoint.ca_file = name;
  }
}

KubeApiClient::~KubeApiClient() {
  if (!m_ca_temp.empty()) ::unlink(m_ca_temp.c_str());
}

Expected<HttpResponse> KubeApiClient::request(std::string_view method, const std::string& path,
                                              const std::string& json_body,
                                              std::chrono::milliseconds timeout) {
  HttpEndpoint endpoint = m_connection.endpoint;
  timeout = std::max(timeout, std::chrono::milliseconds(50));
  endpoint.request_timeout = timeout;
  endpoint.connect_timeout = std::min(endpoint.connect_timeout, timeout);
  HttpClient client(std::move(endpoint));
  {
    std::lock_guard lock(m_mutex);
    if (m_interrupted) return Failure{FailureReason::cancelled, "cancelled (shutting down)"};
    m_in_flight = &client;
  }
  auto answer = client.send(method, path, json_body, "application/json");
  std::lock_guard lock(m_mutex);
  m_in_flight = nullptr;
  return answer;
}

void KubeApiClient::interrupt() {
  std::lock_guard lock(m_mutex);
  m_interrupted = true;
  if (m_in_flight) m_in_flight->cancel();
}

void KubeApiClient::resume() {
  std::lock_guard lock(m_mutex);
  m_interrupted = false;
}

}  // namespace kci
