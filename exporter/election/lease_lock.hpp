#pragma once
// The lock leader election takes: one Lease, read and written through the API server (client-go
// resourcelock.LeaseLock). An interface so the elector's state machine is tested against a fake.
#include <chrono>
#include <string>

#include "exporter/election/kube_api_client.hpp"
#include "exporter/election/lease.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class LeaseLock {
 public:
  virtual ~LeaseLock() = default;
  // GET the Lease. A missing one fails with http_status 404.
  virtual Expected<LeaseRecord> get(std::chrono::milliseconds timeout) = 0;
  // POST a new Lease (no resourceVersion). One that exists already fails with 409.
  virtual Expected<LeaseRecord> create(const LeaseRecord& record,
                                       std::chrono::milliseconds timeout) = 0;
  // PUT the Lease with record.resource_version; a stale version fails with 409 Conflict.
  // Returns the stored Lease (with its new resourceVersion).
  virtual Expected<LeaseRecord> update(const LeaseRecord& record,
                                       std::chrono::milliseconds timeout) = 0;
  // "namespace/name", for logs and the landing page.
  virtual std::string describe() const = 0;
  // Thread-safe. Aborts the request in flight (it fails with reason cancelled) and makes every
  // later one fail the same way at once, until resume(): shutdown must not wait for an API
  // server that holds a request (client-go cancels the elector's context on shutdown).
  virtual void interrupt() {}
  // Requests go out again (the release on shutdown, after the elector's thread has stopped).
  virtual void resume() {}
};

// The Lease `name` in `namespace_name` at /apis/coordination.k8s.io/v1.
class KubeLeaseLock : public LeaseLock {
 public:
  KubeLeaseLock(KubeApiClient& client, std::string namespace_name, std::string name);
  Expected<LeaseRecord> get(std::chrono::milliseconds timeout) override;
  Expected<LeaseRecord> create(const LeaseRecord& record,
                               std::chrono::milliseconds timeout) override;
  Expected<LeaseRecord> update(const LeaseRecord& record,
                               std::chrono::milliseconds timeout) override;
  std::string describe() const override { return m_namespace + "/" + m_name; }
  void interrupt() override { m_client.interrupt(); }
  void resume() override { m_client.resume(); }

 private:
  KubeApiClient& m_client;
  std::string m_namespace;
  std::string m_name;
};

}  // namespace kci
