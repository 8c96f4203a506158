#include "exporter/kubecost/assets_parser.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace kci {
namespace {

using Labels = std::unordered_map<std::string, std::string>;

std::string first_of(const Labels& labels, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = labels.find(k);
    if (it != labels.end() && !it->second.empty()) return it->second;
  }
  return {};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

NodeFacts facts_of(const Labels& labels, const std::string& node_type, const std::string& pool,
                   double preemptible, const std::string& provider) {
  NodeFacts f;
  f.provider = provider;
  f.instance_type = node_type.empty() ? first_of(labels, {"node_kubernetes_io_instance_type",
                                                          "beta_kubernetes_io_instance_type"})
                                      : node_type;
  f.availability_zone =
      first_of(labels, {"topology_kubernetes_io_zone", "failure_domain_beta_kubernetes_io_zone",
                        "topology_gke_io_zone"});
  f.region = first_of(
      labels, {"topology_kubernetes_io_region", "failure_domain_beta_kubernetes_io_region"});
  // Capacity type: the node label's own value, as AWS's exporter writes it (main.py
  // kubecost_allocation_data_to_parquet: eks_amazonaws_com_capacityType +
  // karpenter_sh_capacity_type, so EKS ON_DEMAND/SPOT, Karpenter on-demand/spot), else "" on AWS.
  // Off AWS (where AWS's exporter does not run): GKE, AKS, then Kubecost's preemptible, as "spot" /
  // "on-demand".
  std::string cap =
      first_of(labels, {"eks_amazonaws_com_capacityType", "karpenter_sh_capacity_type"});
  if (cap.empty() && provider != "AWS") {
    if (first_of(labels, {"cloud_google_com_gke_spot"}) == "true" ||
        first_of(labels, {"cloud_google_com_gke_preemptible"}) == "true" ||
        first_of(labels, {"cloud_google_com_gke_provisioning"}) == "spot" ||
        lower(first_of(labels, {"kubernetes_azure_com_scalesetpriority"})) == "spot")
      cap = "spot";
    else if (preemptible == preemptible)
      cap = preemptible > 0 ? "spot" : "on-demand";
  }
  f.capacity_type = cap;
  f.architecture = first_of(labels, {"kubernetes_io_arch", "beta_kubernetes_io_arch"});
  f.os = first_of(labels, {"kubernetes_io_os", "beta_kubernetes_io_os"});
  f.nodegroup =
      pool.empty()
          ? first_of(labels, {"eks_amazonaws_com_nodegroup", "karpenter_sh_nodepool",
                              "karpenter_sh_provisioner_name", "cloud_google_com_gke_nodepool",
                              "kubernetes_azure_com_agentpool"})
          : pool;
  f.nodegroup_image =
      first_of(labels, {"eks_amazonaws_com_nodegroup_image", "karpenter_k8s_aws_instance_ami_id"});
  return f;
}

std::string string_of(simdjson::dom::element v) {
  std::string_view s;
  return v.get_string().get(s) ? std::string() : std::string(s);
}

void parse_asset(simdjson::dom::object asset, NodeFactsMap& out) {
  std::string type, cluster, name, provider, node_type, pool;
  double preemptible = NAN;
  Labels labels;
  for (auto [key, v] : asset) {
    if (key == "type") {
      type = string_of(v);
    } else if (key == "nodeType") {
      node_type = string_of(v);
    } else if (key == "pool") {
      pool = string_of(v);
    } else if (key == "preemptible") {
      if (v.get_double().get(preemptible)) preemptible = NAN;
    } else if (key == "properties" || key == "labels") {
      simdjson::dom::object obj;
      if (v.get_object().get(obj)) continue;
      for (auto [pk_full, pv] : obj) {
        std::string_view pk = pk_full;
        std::string value = string_of(pv);
        if (key == "properties") {
          if (pk == "cluster")
            cluster = value;
          else if (pk == "name")
            name = value;
          else if (pk == "provider")
            provider = value;
        } else {
          if (pk.starts_with("label_")) pk.remove_prefix(6);
          labels.emplace(std::string(pk), std::move(value));
        }
      }
    }
  }
  if (type == "Node" && !name.empty())
    out[{cluster, name}] = facts_of(labels, node_type, pool, preemptible, provider);
}

void parse_set(simdjson::dom::element set, NodeFactsMap& out) {
  simdjson::dom::object obj;
  if (set.get_object().get(obj)) return;  // `null` or another shape: no assets
  for (auto field : obj) {
    simdjson::dom::object asset;
    if (!field.value.get_object().get(asset)) parse_asset(asset, out);
  }
}

}  // namespace

const std::vector<std::string>& node_label_keys() {
  static const std::vector<std::string> keys = {"node_kubernetes_io_instance_type",
                                                "topology_kubernetes_io_region",
                                                "topology_kubernetes_io_zone",
                                                "kubernetes_io_arch",
                                                "kubernetes_io_os",
                                                "eks_amazonaws_com_capacityType",
                                                "karpenter_sh_capacity_type",
                                                "eks_amazonaws_com_nodegroup",
                                                "karpenter_sh_nodepool",
                                                "karpenter_sh_provisioner_name",
                                                "eks_amazonaws_com_nodegroup_image",
                                                "karpenter_k8s_aws_instance_ami_id"};
  return keys;
}

NodeFacts node_facts_from_labels(std::span<const std::string_view> values) {
  Labels labels;
  const auto& keys = node_label_keys();
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i)
    if (!values[i].empty()) labels.emplace(keys[i], std::string(values[i]));
  return facts_of(labels, {}, {}, NAN, {});
}

Expected<NodeFactsMap> parse_node_assets(const std::string& body) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Failure{FailureReason::empty, "empty assets response"};
  if (body[first] != '{') return Failure{FailureReason::parse, "assets response is not JSON"};
  // The DOM API: its SIMD kernel is chosen at run time. An assets answer is one entry per node.
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (auto err = parser.parse(body).get_object().get(root))
    return Failure{FailureReason::parse,
                   std::string("invalid assets JSON: ") + simdjson::error_message(err)};
  NodeFactsMap out;
  std::int64_t code = 200;
  for (auto [key, v] : root) {
    if (key == "code") {
      double d;
      if (!v.get_double().get(d)) code = static_cast<std::int64_t>(d);
    } else if (key == "data") {
      simdjson::dom::array sets;
      if (!v.get_array().get(sets)) {
        for (auto set : sets) parse_set(set, out);
      } else {
        parse_set(v, out);
      }
    }
  }
  if (code != 200)
    return Failure{FailureReason::http_status,
                   "Kubecost assets answered code " + std::to_string(code)};
  return out;
}

}  // namespace kci
