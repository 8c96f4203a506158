#pragma once
// The Allocation API over HTTP. With flavour `auto`, the first poll probes Kubecost's path and
// falls back to OpenCost's on 404; the answer is kept for later polls.
#include "exporter/http/http_client.hpp"
#include "exporter/http/kubecost_connection.hpp"
#include "exporter/kubecost/allocation_query_options.hpp"
#include "exporter/kubecost/allocation_source.hpp"

namespace kci {

class KubecostSource : public AllocationSource {
 public:
  // Asks `connection` (with its flavour) for the allocations `query` describes.
  KubecostSource(const KubecostConnection& connection, AllocationQueryOptions query);
  Expected<void> fetch(BodySink& sink) override;
  bool has_label_aggregation() const override { return true; }
  Expected<void> fetch_label(std::string_view label_key, BodySink& sink) override;
  void cancel() override;
  std::uint64_t retries_total() const override { return m_client.retries_total(); }
  // The configured flavour, or the detected one once a fetch under `auto` succeeded.
  Flavour flavour() const { return m_flavour; }

 private:
  const AllocationQueryOptions m_query;
  HttpClient m_client;
  Flavour m_flavour;
};

}  // namespace kci
