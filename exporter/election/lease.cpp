#include "exporter/election/lease.hpp"

#include <simdjson.h>

#include <cstdio>
#include <ctime>

#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::size_t k_max_lease_bytes = 1 << 20;  // a Lease is well under 1 KiB

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

Failure bad(const std::string& field, const std::string& why) {
  return Failure{FailureReason::parse, "Lease answer: " + field + ": " + why};
}

bool printable(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

std::string format_micro_time(SystemTime t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  long long frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::optional<SystemTime> parse_micro_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+hh:mm|-hh:mm)
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > text.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int year, mon, day, hour, min, sec;
  if (!digits(0, 4, year) || text.size() < 20 || text[4] != '-' || !digits(5, 2, mon) ||
      text[7] != '-' || !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(11, 2, hour) || text[13] != ':' || !digits(14, 2, min) || text[16] != ':' ||
      !digits(17, 2, sec))
    return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return std::nullopt;
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (std::size_t i = n; i < 6; ++i) micros *= 10;
  }
  int offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_minutes = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  const std::time_t secs = timegm(&tm);
  using namespace std::chrono;
  return SystemTime(duration_cast<SystemTime::duration>(seconds(secs) - minutes(offset_minutes) +
                                                        microseconds(micros)));
}

std::string lease_json(const LeaseRecord& record, std::string_view name,
                       std::string_view namespace_name) {
  std::string out = R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":)" +
                    json_string(name) + ",\"namespace\":" + json_string(namespace_name);
  if (!record.resource_version.empty())
    out += ",\"resourceVersion\":" + json_string(record.resource_version);
  out += "},\"spec\":{\"holderIdentity\":" + json_string(record.holder_identity) +
         ",\"leaseDurationSeconds\":" + std::to_string(record.lease_duration_seconds);
  if (record.acquire_time)
    out += ",\"acquireTime\":" + json_string(format_micro_time(*record.acquire_time));
  if (record.renew_time)
    out += ",\"renewTime\":" + json_string(format_micro_time(*record.renew_time));
  out += ",\"leaseTransitions\":" + std::to_string(record.lease_transitions) + "}}";
  return out;
}

Expected<LeaseRecord> parse_lease(std::string_view json) {
  if (json.size() > k_max_lease_bytes)
    return bad("body", "larger than " + std::to_string(k_max_lease_bytes) + " bytes");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc))
    return bad("body", std::string("not JSON (") + simdjson::error_message(err) + ")");
  simdjson::dom::object root;
  if (doc.get(root)) return bad("body", "not a JSON object");
  std::string_view kind;
  if (root["kind"].get(kind) || kind != "Lease")
    return bad("kind", "expected \"Lease\", got " + one_line(std::string(kind), 40));
  LeaseRecord r;
  simdjson::dom::object metadata;
  if (root["metadata"].get(metadata)) return bad("metadata", "missing or not an object");
  std::string_view rv;
  if (metadata["resourceVersion"].get(rv) || rv.empty() || rv.size() > 128 || !printable(rv))
    return bad("metadata.resourceVersion", "missing, empty, longer than 128 or not printable");
  r.resource_version = std::string(rv);
  simdjson::dom::element spec_el;
  if (root["spec"].get(spec_el)) return r;  // a Lease without a spec: never held
  simdjson::dom::object spec;
  if (spec_el.get(spec)) return bad("spec", "not an object");
  for (auto [key, value] : spec) {
    if (value.is_null()) continue;
    if (key == "holderIdentity") {
      std::string_view h;
      if (value.get(h) || h.size() > 1024 || !printable(h))
        return bad("spec.holderIdentity", "not a printable string of at most 1024 bytes");
      r.holder_identity = std::string(h);
    } else if (key == "leaseDurationSeconds") {
      std::int64_t d;
      if (value.get(d) || d < 1 || d > 86400 * 366)
        return bad("spec.leaseDurationSeconds", "not a whole number of seconds in 1..31622400");
      r.lease_duration_seconds = static_cast<int>(d);
    } else if (key == "leaseTransitions") {
      std::int64_t t;
      if (value.get(t) || t < 0 || t > INT32_MAX)
        return bad("spec.leaseTransitions", "not a whole number in 0..2147483647");
      r.lease_transitions = static_cast<std::int32_t>(t);
    } else if (key == "acquireTime" || key == "renewTime") {
      std::string_view text;
      std::optional<SystemTime> t;
      if (value.get(text) || !(t = parse_micro_time(text)))
        return bad("spec." + std::string(key), "not an RFC 3339 time");
      (key == "acquireTime" ? r.acquire_time : r.renew_time) = t;
    }
    // Other fields (leaseTransitions' siblings such as strategy, preferredHolder) are not used.
  }
  return r;
}

}  // namespace kci
