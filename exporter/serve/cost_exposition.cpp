#include "exporter/serve/cost_exposition.hpp"

#include "exporter/util/logging.hpp"

namespace kci {

CostExposition::CostExposition(DeflatedText deflated, std::size_t series)
    : m_deflated(std::move(deflated)), m_series(series) {}

std::string_view CostExposition::text() const {
  std::call_once(m_inflated, [this] {
    auto text = inflate_text(m_deflated);
    if (text.ok()) {
      m_text = std::move(text.value());
    } else {
      // Our own bytes, written this process: only memory corruption gets here.
      log::error("cost series could not be inflated", {{"error", text.failure().message}});
    }
  });
  return m_text;
}

}  // namespace kci
