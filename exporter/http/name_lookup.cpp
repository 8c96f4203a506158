#include "exporter/http/name_lookup.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace kci {
namespace {

constexpr int k_max_running = 16;
std::atomic<int> g_running{0};

}  // namespace

std::shared_ptr<NameLookup> NameLookup::start(const std::string& host, const std::string& port) {
  auto lookup = std::make_shared<NameLookup>();
  if (g_running.fetch_add(1) >= k_max_running) {
    g_running.fetch_sub(1);
    lookup->m_error = "16 DNS lookups are still unanswered";
    lookup->m_done = true;
    return lookup;
  }
  try {
    std::thread([lookup, host, port] {
      lookup->run(host, port);
      g_running.fetch_sub(1);
    }).detach();
  } catch (const std::system_error&) {
    g_running.fetch_sub(1);
    lookup->m_error = "no thread for the DNS lookup";
    lookup->m_done = true;
  }
  return lookup;
}

void NameLookup::run(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  std::string error;
  if (rc != 0) {
    error = ::gai_strerror(rc);
  } else {
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      if (a->ai_family != AF_INET && a->ai_family != AF_INET6) continue;
      boost::asio::ip::tcp::endpoint endpoint;
      if (a->ai_addrlen > endpoint.capacity()) continue;
      std::memcpy(endpoint.data(), a->ai_addr, a->ai_addrlen);
      endpoint.resize(a->ai_addrlen);
      endpoints.push_back(endpoint);
    }
    ::freeaddrinfo(found);
    if (endpoints.empty()) error = "no IPv4 or IPv6 address";
  }
  std::lock_guard lock(m_mutex);
  m_endpoints = std::move(endpoints);
  m_error = std::move(error);
  m_done = true;
  m_cv.notify_all();
}

bool NameLookup::wait_for(std::chrono::milliseconds wait) {
  std::unique_lock lock(m_mutex);
  return m_cv.wait_for(lock, wait, [this] { return m_done; });
}

}  // namespace kci
