#pragma once
// An AllocationSource over answers already in memory: the allocation answer and one answer per
// label key, each fed to the sink in pieces of `piece_bytes` (as a socket would deliver them).
// The golden test, the fuzzer and the benchmark run the poll through it; the bytes are not
// copied (the caller keeps them alive while the source is used).
#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "exporter/kubecost/allocation_source.hpp"

namespace kci {

class AnswerSource : public AllocationSource {
 public:
  explicit AnswerSource(std::string_view allocation, std::size_t piece_bytes = 64 * 1024)
      : m_allocation(allocation), m_piece_bytes(std::max<std::size_t>(piece_bytes, 1)) {}

  // The answer to `aggregate=label:<key>`; a key without one fails its fetch_label.
  void set_label_answer(const std::string& key, std::string_view answer) { m_labels[key] = answer; }

  Expected<void> fetch(BodySink& sink) override { return feed(m_allocation, sink); }
  bool has_label_aggregation() const override { return !m_labels.empty(); }
  Expected<void> fetch_label(std::string_view label_key, BodySink& sink) override {
    const auto it = m_labels.find(std::string(label_key));
    if (it == m_labels.end())
      return Failure{FailureReason::internal, "no answer for label " + std::string(label_key)};
    return feed(it->second, sink);
  }

 private:
  Expected<void> feed(std::string_view body, BodySink& sink) const {
    sink.begin();
    for (std::size_t at = 0; at < body.size(); at += m_piece_bytes)
      if (!sink.write(body.substr(at, m_piece_bytes))) return sink_refused();
    return {};
  }

  std::string_view m_allocation;
  std::size_t m_piece_bytes;
  std::map<std::string, std::string_view> m_labels;
};

}  // namespace kci
