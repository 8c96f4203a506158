#pragma once
// Reaching the Kubernetes API server, the two ways a pod or a developer does:
//   in-cluster   KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, the service-account token
//                (re-read on every request: the kubelet rotates it), its ca.crt and namespace
//                (client-go rest.InClusterConfig);
//   kubeconfig   the current context's cluster and user, the subset a service account needs:
//                cluster.server (http or https), certificate-authority |
//                certificate-authority-data | insecure-skip-tls-verify, user.token |
//                user.tokenFile. Relative paths are relative to the file (client-go
//                clientcmd does the same). Anything else in user (client certificates, exec,
//                auth-provider) is refused by name rather than silently ignored.
// Start-up problems throw ConfigError, one line naming the field. Requests return values.
#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "exporter/config/environment.hpp"
#include "exporter/http/http_client.hpp"
#include "exporter/http/http_endpoint.hpp"
#include "exporter/util/result.hpp"

namespace kci {

inline constexpr const char* k_service_account_dir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct KubeConnection {
  HttpEndpoint endpoint;       // url, TLS trust, token (file or inline)
  std::string ca_pem;          // certificate-authority-data, decoded (written to a private file)
  std::string namespace_name;  // the service account's (in-cluster) or the context's; may be ""
  std::string source;          // "in-cluster" or "kubeconfig <path>", for logs
};

// In-cluster: throws ConfigError when KUBERNETES_SERVICE_HOST/PORT are unset or bad, or the
// token is unreadable. `sa_dir` holds token, ca.crt and namespace.
KubeConnection in_cluster_connection(const EnvLookup& env,
                                     const std::string& sa_dir = k_service_account_dir);

// The kubeconfig `text` read from `path`. Throws ConfigError naming the field:
//   kubeconfig "<path>": clusters[name=c].cluster.server: ...
KubeConnection parse_kubeconfig(const std::string& path, const std::string& text);

// Reads and parses the kubeconfig file at `path` (at most 1 MiB).
KubeConnection load_kubeconfig(const std::string& path);

// Requests to the API server; request() is called by one thread at a time (the elector's),
// interrupt()/resume() from any thread.
class KubeApiClient {
 public:
  // Throws ConfigError when certificate-authority-data cannot be written to a private file.
  explicit KubeApiClient(KubeConnection connection);
  ~KubeApiClient();
  KubeApiClient(const KubeApiClient&) = delete;
  KubeApiClient& operator=(const KubeApiClient&) = delete;

  // One attempt of `method` on `path` with a JSON body (none for GET), bounded by `timeout`
  // (connect included). Non-2xx answers fail with the status in Failure::http_status.
  Expected<HttpResponse> request(std::string_view method, const std::string& path,
                                 const std::string& json_body, std::chrono::milliseconds timeout);

  // Aborts the request in flight (HttpClient::cancel()) and fails every later request with
  // reason cancelled, without sending it, until resume().
  void interrupt();
  void resume();

  const KubeConnection& connection() const { return m_connection; }

 private:
  KubeConnection m_connection;
  std::string m_ca_temp;  // removed by the destructor
  std::mutex m_mutex;
  HttpClient* m_in_flight = nullptr;  // guarded by m_mutex; alive while set
  bool m_interrupted = false;         // guarded by m_mutex
};

// Standard base64 (RFC 4648 §4, padding optional, no whitespace other than newlines);
// nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace kci
