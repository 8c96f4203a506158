#include "exporter/telemetry/text_serializer.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace kci {

std::string serialize_text(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace kci
