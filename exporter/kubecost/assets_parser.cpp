#include "exporter/kubecost/assets_parser.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "exporter/util/padded_buffer.hpp"
#include "exporter/kubecost/json_ondemand.hpp"

namespace kci {
namespace {

namespace od = simdjson::ondemand;

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
  // Capacity type: Karpenter, EKS managed node groups, GKE, AKS, then Kubecost's preemptible.
  std::string cap =
      lower(first_of(labels, {"karpenter_sh_capacity_type", "eks_amazonaws_com_capacityType"}));
  if (cap == "on_demand") cap = "on-demand";
  if (cap.empty() && (first_of(labels, {"cloud_google_com_gke_spot"}) == "true" ||
                      first_of(labels, {"cloud_google_com_gke_preemptible"}) == "true" ||
                      first_of(labels, {"cloud_google_com_gke_provisioning"}) == "spot" ||
                      lower(first_of(labels, {"kubernetes_azure_com_scalesetpriority"})) == "spot"))
    cap = "spot";
  if (cap.empty() && preemptible == preemptible) cap = preemptible > 0 ? "spot" : "on-demand";
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

simdjson::error_code read_string(od::value v, std::string& out) {
  std::string_view s;
  if (auto err = json::if_string(v, s)) return err;
  out.assign(s);
  return simdjson::SUCCESS;
}

simdjson::error_code parse_asset(od::object asset, NodeFactsMap& out) {
  std::string type, cluster, name, provider, node_type, pool;
  double preemptible = NAN;
  Labels labels;
  for (auto field : asset) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return err;
    od::value v = field.value();
    if (key == "type") {
      if (auto err = read_string(v, type)) return err;
    } else if (key == "nodeType") {
      if (auto err = read_string(v, node_type)) return err;
    } else if (key == "pool") {
      if (auto err = read_string(v, pool)) return err;
    } else if (key == "preemptible") {
      od::json_type t;
      if (!v.type().get(t) && t == od::json_type::number && v.get_double().get(preemptible))
        preemptible = NAN;
    } else if (key == "properties" || key == "labels") {
      od::object obj;
      bool is_object = false;
      if (auto err = json::if_object(v, obj, is_object)) return err;
      if (!is_object) continue;
      for (auto p : obj) {
        std::string_view pk;
        if (auto err = p.unescaped_key().get(pk)) return err;
        std::string value;
        if (auto err = read_string(p.value(), value)) return err;
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
  return simdjson::SUCCESS;
}

simdjson::error_code parse_set(od::value set, NodeFactsMap& out) {
  od::object obj;
  bool is_object = false;
  if (auto err = json::if_object(set, obj, is_object)) return err;
  if (!is_object) return simdjson::SUCCESS;
  for (auto field : obj) {
    od::value v;
    if (auto err = field.value().get(v)) return err;
    od::object asset;
    if (auto err = json::if_object(v, asset, is_object)) return err;
    if (!is_object) continue;
    if (auto err = parse_asset(asset, out)) return err;
  }
  return simdjson::SUCCESS;
}

}  // namespace

Expected<NodeFactsMap> parse_node_assets(const std::string& body) {
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Failure{FailureReason::empty, "empty assets response"};
  if (body[first] != '{') return Failure{FailureReason::parse, "assets response is not JSON"};
  simdjson::padded_string padded(body);
  od::parser parser;
  NodeFactsMap out;
  try {
    od::document doc = parser.iterate(padded);
    std::int64_t code = 200;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "code") {
        double d;
        if (!v.get_double().get(d)) code = static_cast<std::int64_t>(d);
      } else if (key == "data") {
        od::json_type t = v.type();
        if (t == od::json_type::array) {
          for (auto set : v.get_array()) {
            od::value sv;
            if (auto err = set.get(sv)) throw simdjson::simdjson_error(err);
            if (auto err = parse_set(sv, out)) throw simdjson::simdjson_error(err);
          }
        } else if (t == od::json_type::object) {
          if (auto err = parse_set(v, out)) throw simdjson::simdjson_error(err);
        }
      }
    }
    if (code != 200)
      return Failure{FailureReason::http_status,
                     "Kubecost assets answered code " + std::to_string(code)};
  } catch (const simdjson::simdjson_error& e) {
    return Failure{FailureReason::parse, std::string("invalid assets JSON: ") + e.what()};
  }
  return out;
}

}  // namespace kci
