#include "exporter/kubecost/kubecost_source.hpp"

#include "exporter/kubecost/kubecost_query.hpp"
#include "exporter/util/logging.hpp"

namespace kci {

KubecostSource::KubecostSource(const KubecostConnection& connection, AllocationQueryOptions query)
    : m_query(std::move(query)), m_client(connection), m_flavour(connection.flavour) {}

Expected<void> KubecostSource::fetch(BodySink& sink) {
  if (m_flavour != Flavour::auto_detect)
    return m_client.get(allocation_request(m_query, m_flavour), sink);
  auto kubecost = m_client.get(allocation_request(m_query, Flavour::kubecost), sink);
  if (kubecost.ok() || kubecost.failure().http_status != 404) {
    if (kubecost.ok()) {
      m_flavour = Flavour::kubecost;
      log::info("kubecost flavour detected",
                {{"flavour", "kubecost"}, {"path", "/model/allocation"}});
    }
    return kubecost;
  }
  auto opencost = m_client.get(allocation_request(m_query, Flavour::opencost), sink);
  if (opencost.ok()) {
    m_flavour = Flavour::opencost;
    log::info("kubecost flavour detected", {{"flavour", "opencost"}, {"path", "/allocation"}});
  }
  return opencost;
}

Expected<void> KubecostSource::fetch_label(std::string_view label_key, BodySink& sink) {
  // fetch() ran first, so `auto` has been resolved; before that Kubecost's path is the guess.
  const Flavour f = m_flavour == Flavour::auto_detect ? Flavour::kubecost : m_flavour;
  return m_client.get(label_allocation_request(m_query, f, label_key), sink);
}

void KubecostSource::cancel() { m_client.cancel(); }

}  // namespace kci
