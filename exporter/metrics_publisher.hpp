#pragma once
// The one place the poller hands finished, immutable exposition bytes to the HTTP server.
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kci {

struct Published {
  std::string text;    // text format 0.0.4, cost series (if fresh) + health series
  std::string gzip;    // the same bytes, gzip-compressed once
  bool ready = false;  // fresh cost data is being served
  bool last_poll_ok = false;
  std::string last_error;  // one line, "" after a good poll
  double last_success_timestamp = 0;
  std::size_t cost_series = 0;
  std::vector<std::pair<std::string, double>> top_namespaces;  // by cost, as exported
};

class MetricsPublisher {
 public:
  MetricsPublisher();
  void publish(std::shared_ptr<const Published> next);
  std::shared_ptr<const Published> current() const;

 private:
  mutable std::mutex m_mutex;
  std::shared_ptr<const Published> m_current;
};

}  // namespace kci
