#pragma once
// The cost series of one good poll as serve mode holds them: compressed once as they were
// rendered (util/deflate_stream.hpp), so what stays in memory between polls is the compressed
// bytes. The text exists only once a client that does not take gzip asks for it: inflated on
// that first request, then kept with these bytes until the next good poll replaces them.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>

#include "exporter/util/deflate_stream.hpp"

namespace kci {

class CostExposition {
 public:
  CostExposition(DeflatedText deflated, std::size_t series);

  const DeflatedText& deflated() const { return m_deflated; }
  std::size_t series() const { return m_series; }
  std::size_t text_size() const { return static_cast<std::size_t>(m_deflated.size); }

  // The text. The first call inflates it (safe from any thread); later calls return it.
  std::string_view text() const;

 private:
  DeflatedText m_deflated;
  std::size_t m_series;
  mutable std::once_flag m_inflated;
  mutable std::string m_text;
};

}  // namespace kci
