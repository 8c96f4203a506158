#include "exporter/serve/poller.hpp"

#include <malloc.h>

#include <algorithm>
#include <cmath>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/util/gzip.hpp"
#include "exporter/util/logging.hpp"

namespace kci {
namespace {

double system_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Poller::Poller(const Config& config, MetricsPublisher& publisher, AllocationSource& source,
               Clock clock)
    : m_config(config),
      m_publisher(publisher),
      m_source(source),
      m_clock(clock ? std::move(clock) : Clock(system_now)),
      m_rng(std::random_device{}()) {
  publish();  // health series from the start, readyz 503
}

Poller::~Poller() { stop(); }

void Poller::start() {
  m_thread = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_source.cancel();
  if (m_thread.joinable()) m_thread.join();
}

void Poller::run() {
  using namespace std::chrono;
  while (true) {
    poll_once();
    auto jitter_ms =
        m_config.scrape_jitter_max.count() > 0
            ? std::uniform_int_distribution<long long>(0, m_config.scrape_jitter_max.count())(m_rng)
            : 0;
    auto next = steady_clock::now() + m_config.scrape_interval + milliseconds(jitter_ms);
    std::unique_lock lock(m_mutex);
    while (!m_stopping && steady_clock::now() < next) {
      // Wake at the staleness deadline too, so stale series go on time between polls.
      auto wake = next;
      if (m_cost_text) {
        double left =
            m_last_good + duration<double>(m_config.effective_max_staleness()).count() - m_clock();
        wake =
            std::min(next, steady_clock::now() + duration_cast<steady_clock::duration>(
                                                     duration<double>(std::max(left, 0.0) + 0.01)));
      }
      m_cv.wait_until(lock, wake, [&] { return m_stopping; });
      lock.unlock();
      expire_if_stale();
      lock.lock();
    }
    if (m_stopping) return;
  }
}

void Poller::poll_once() {
  const auto t0 = std::chrono::steady_clock::now();
  std::optional<Failure> failure;
  std::size_t allocations = 0, namespaces = 0;
  double window_hours = 0;
  {
    auto response = m_source.fetch();
    if (!response.ok()) {
      failure = response.failure();
    } else {
      ParseOptions options;
      for (const auto& key : m_config.label_keys)
        options.label_keys.push_back(sanitize_label_name(key));
      SnapshotBuilder builder(m_config, m_clock());
      auto& body = response.value().body;
      builder.reserve(body.size() / 1000);  // a Kubecost allocation is ~1.2-2.5 KB of JSON
      auto parsed = parse_allocations(body, body.capacity(), options,
                                      [&](const ParsedAllocation& a) { builder.add(a); });
      std::string().swap(body);  // the response is done with: free it before rendering
      if (!parsed.ok()) {
        failure = parsed.failure();
      } else {
        CostSnapshot snap = std::move(builder).finish();
        std::size_t series = 0;
        auto text = std::make_shared<const std::string>(render_costs(snap, m_config, series));
        const double divisor = m_config.metric_mode == MetricMode::rate && snap.window_hours > 0
                                   ? snap.window_hours
                                   : 1.0;
        std::vector<std::pair<std::string, double>> top;
        for (const auto& row : snap.namespaces) {
          double v = row.acc.cost_of(CostFamily::total);
          if (!std::isnan(v)) top.emplace_back(row.namespace_name, v / divisor);
        }
        std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.second > b.second; });
        if (top.size() > 10) top.resize(10);
        allocations = snap.allocations;
        namespaces = snap.namespaces.size();
        window_hours = snap.window_hours;
        m_cost_text = std::move(text);
        m_cost_series = series;
        m_top_namespaces = std::move(top);
        m_last_good = m_clock();
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m_health.last_duration_seconds = seconds;
  m_health.last_success = !failure;
  if (failure) {
    ++m_health.errors[static_cast<std::size_t>(failure->reason)];
    m_last_error = failure->message;
    log::error("kubecost poll failed", {{"reason", to_string(failure->reason)},
                                        {"error", failure->message},
                                        {"duration_seconds", fixed(seconds, 3)}});
  } else {
    m_health.last_success_timestamp = m_last_good;
    m_last_error.clear();
    log::info("kubecost poll ok", {{"namespaces", std::to_string(namespaces)},
                                   {"allocations", std::to_string(allocations)},
                                   {"series", std::to_string(m_cost_series)},
                                   {"window_hours", fixed(window_hours, 3)},
                                   {"duration_seconds", fixed(seconds, 3)}});
  }
  expire_if_stale();
  publish();
  // The response, parser and snapshot are gone: hand their pages back to the OS so the
  // steady-state RSS between polls is the published bytes, not the last poll's peak.
  malloc_trim(0);
}

void Poller::expire_if_stale() {
  if (!m_cost_text) return;
  const double age = m_clock() - m_last_good;
  if (age <= std::chrono::duration<double>(m_config.effective_max_staleness()).count()) return;
  log::warn("cost series dropped: no good poll within maxStaleness",
            {{"age_seconds", fixed(age, 0)},
             {"max_staleness", format_duration(m_config.effective_max_staleness())}});
  m_cost_text.reset();
  m_cost_series = 0;
  m_top_namespaces.clear();
  publish();
}

void Poller::publish() {
  auto p = std::make_shared<Published>();
  m_health.series_count = m_cost_text ? m_cost_series : 0;
  p->health = render_health(m_health, m_config);
  p->costs = m_cost_text;
  p->gzip = gzip_compress({p->costs ? std::string_view(*p->costs) : std::string_view(), p->health});
  p->ready = m_cost_text != nullptr;
  p->last_poll_ok = m_health.last_success;
  p->last_error = m_last_error;
  p->last_success_timestamp = m_health.last_success_timestamp;
  p->cost_series = m_health.series_count;
  p->top_namespaces = m_top_namespaces;
  m_publisher.publish(std::move(p));
}

}  // namespace kci
