#include "exporter/election/lease_lock.hpp"

namespace kci {
namespace {

Expected<LeaseRecord> as_lease(Expected<HttpResponse> answer) {
  if (!answer.ok()) return answer.failure();
  return parse_lease(answer.value().body);
}

}  // namespace

KubeLeaseLock::KubeLeaseLock(KubeApiClient& client, std::string namespace_name, std::string name)
    : m_client(client), m_namespace(std::move(namespace_name)), m_name(std::move(name)) {}

// Paths of the coordination.k8s.io/v1 API group (Kubernetes API reference, Lease v1).
Expected<LeaseRecord> KubeLeaseLock::get(std::chrono::milliseconds timeout) {
  return as_lease(m_client.request(
      "GET", "/apis/coordination.k8s.io/v1/namespaces/" + m_namespace + "/leases/" + m_name, "",
      timeout));
}

Expected<LeaseRecord> KubeLeaseLock::create(const LeaseRecord& record,
                                            std::chrono::milliseconds timeout) {
  LeaseRecord fresh = record;
  fresh.resource_version.clear();
  return as_lease(
      m_client.request("POST", "/apis/coordination.k8s.io/v1/namespaces/" + m_namespace + "/leases",
                       lease_json(fresh, m_name, m_namespace), timeout));
}

Expected<LeaseRecord> KubeLeaseLock::update(const LeaseRecord& record,
                                            std::chrono::milliseconds timeout) {
  return as_lease(m_client.request(
      "PUT", "/apis/coordination.k8s.io/v1/namespaces/" + m_namespace + "/leases/" + m_name,
      lease_json(record, m_name, m_namespace), timeout));
}

}  // namespace kci
