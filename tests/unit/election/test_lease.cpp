#include <catch2/catch.hpp>

#include "exporter/election/lease.hpp"

using namespace kci;

namespace {

// Shape of a Lease as `kubectl get lease -o json` prints it (coordination.k8s.io/v1).
const char* k_lease = R"({
  "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
  "metadata": {"name": "kubecost-allocation-exporter", "namespace": "kubecost",
               "resourceVersion": "4711", "uid": "6a1e2b9c"},
  "spec": {"holderIdentity": "exporter-0", "leaseDurationSeconds": 15,
           "acquireTime": "2026-12-01T12:00:00.000000Z", "renewTime": "2026-12-01T12:00:10.250000Z",
           "leaseTransitions": 3}
})";

std::string error_of(const std::string& json) {
  auto r = parse_lease(json);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::parse);
  return r.failure().message;
}

}  // namespace

TEST_CASE("lease: a Lease answer parses into its record", "[threads]") {
  auto r = parse_lease(k_lease);
  REQUIRE(r.ok());
  CHECK(r.value().holder_identity == "exporter-0");
  CHECK(r.value().lease_duration_seconds == 15);
  CHECK(r.value().lease_transitions == 3);
  CHECK(r.value().resource_version == "4711");
  REQUIRE(r.value().renew_time);
  CHECK(format_micro_time(*r.value().renew_time) == "2026-12-01T12:00:10.250000Z");
}

TEST_CASE("lease: JSON written for PUT parses back to the same record", "[threads]") {
  LeaseRecord rec;
  rec.holder_identity = "pod \"a\"\n";
  rec.lease_duration_seconds = 3;
  rec.acquire_time = parse_micro_time("2026-12-01T12:00:00.5Z");
  rec.renew_time = parse_micro_time("2026-12-01T13:00:00+01:00");
  rec.lease_transitions = 7;
  rec.resource_version = "12";
  const std::string json = lease_json(rec, "name", "ns");
  CHECK(json.find("\"resourceVersion\":\"12\"") != std::string::npos);
  // The holder holds a control character: a hostile answer would be refused, so compare fields.
  rec.holder_identity = "pod-a";
  auto back = parse_lease(lease_json(rec, "name", "ns"));
  REQUIRE(back.ok());
  CHECK(back.value() == rec);
  CHECK(format_micro_time(*rec.renew_time) == "2026-12-01T12:00:00.000000Z");
}

TEST_CASE("lease: a create carries no resourceVersion; a released Lease has an empty holder",
          "[threads]") {
  LeaseRecord rec;
  rec.lease_duration_seconds = 1;
  const std::string json = lease_json(rec, "l", "ns");
  CHECK(json.find("resourceVersion") == std::string::npos);
  CHECK(json.find("\"holderIdentity\":\"\"") != std::string::npos);
}

TEST_CASE("lease: hostile or malformed answers are refused naming the field", "[threads]") {
  CHECK(error_of("not json").find("body: not JSON") != std::string::npos);
  CHECK(error_of("[1]") == "Lease answer: body: not a JSON object");
  CHECK(error_of(R"({"kind":"Pod","metadata":{"resourceVersion":"1"}})")
            .starts_with("Lease answer: kind: expected \"Lease\""));
  CHECK(error_of(R"({"kind":"Lease","metadata":{}})")
            .starts_with("Lease answer: metadata.resourceVersion"));
  CHECK(error_of(R"({"kind":"Lease","metadata":{"resourceVersion":""}})")
            .starts_with("Lease answer: metadata.resourceVersion"));
  const std::string head = R"({"kind":"Lease","metadata":{"resourceVersion":"1"},"spec":)";
  CHECK(error_of(head + "[]}") == "Lease answer: spec: not an object");
  CHECK(
      error_of(head + R"({"holderIdentity":5}})").starts_with("Lease answer: spec.holderIdentity"));
  CHECK(error_of(head + R"({"holderIdentity":"a\u0001b"}})")
            .starts_with("Lease answer: spec.holderIdentity"));
  CHECK(error_of(head + R"({"leaseDurationSeconds":-1}})")
            .starts_with("Lease answer: spec.leaseDurationSeconds"));
  CHECK(error_of(head + R"({"leaseDurationSeconds":1e300}})")
            .starts_with("Lease answer: spec.leaseDurationSeconds"));
  CHECK(error_of(head + R"({"leaseDurationSeconds":"15"}})")
            .starts_with("Lease answer: spec.leaseDurationSeconds"));
  CHECK(error_of(head + R"({"leaseTransitions":9999999999}})")
            .starts_with("Lease answer: spec.leaseTransitions"));
  CHECK(error_of(head + R"({"renewTime":"yesterday"}})") ==
        "Lease answer: spec.renewTime: not an RFC 3339 time");
  CHECK(error_of(std::string(2 << 20, ' ')).starts_with("Lease answer: body: larger than"));
}

TEST_CASE("lease: a Lease without spec or with null fields is an unheld Lease", "[threads]") {
  auto r = parse_lease(R"({"kind":"Lease","metadata":{"resourceVersion":"9"}})");
  REQUIRE(r.ok());
  CHECK(r.value().holder_identity.empty());
  auto n = parse_lease(
      R"({"kind":"Lease","metadata":{"resourceVersion":"9"},"spec":{"holderIdentity":null}})");
  REQUIRE(n.ok());
  CHECK(n.value().holder_identity.empty());
}

TEST_CASE("lease: MicroTime parsing is strict", "[threads]") {
  CHECK(parse_micro_time("2026-12-01T12:00:00Z"));
  CHECK(parse_micro_time("2026-12-01T12:00:00.123456789Z"));
  CHECK_FALSE(parse_micro_time("2026-12-01 12:00:00Z"));
  CHECK_FALSE(parse_micro_time("2026-12-01T12:00:00"));
  CHECK_FALSE(parse_micro_time("2026-13-01T12:00:00Z"));
  CHECK_FALSE(parse_micro_time("2026-12-01T12:00:00.Z"));
  CHECK_FALSE(parse_micro_time("2026-12-01T12:00:00Zjunk"));
}
