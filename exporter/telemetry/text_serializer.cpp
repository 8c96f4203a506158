#include "exporter/telemetry/text_serializer.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <iterator>

namespace kci {

std::string serialize_text(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

std::string serialize_text(const prometheus::Registry& registry,
                           std::vector<prometheus::MetricFamily> more) {
  auto families = registry.Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace kci
