#pragma once
// A DNS lookup nobody has to wait for: getaddrinfo(3) cannot be interrupted, and glibc may block
// in it for 5 s per attempt and name server (more with Kubernetes' ndots:5 search list), so it
// runs on a thread of its own and hands its answer over through shared state. An exchange
// polls it within its own bounds (deadline, cancellation, connect timeout) and abandons it when
// those end first; the thread then finishes alone. At most 16 lookups run at once, abandoned
// ones included: a resolver that never answers cannot pile up threads (Asio's resolver would
// block the caller instead: its io_context waits for the lookup thread).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace kci {

class NameLookup {
 public:
  // Starts resolving host:port (TCP, IPv4 and IPv6).
  static std::shared_ptr<NameLookup> start(const std::string& host, const std::string& port);

  // Waits at most `wait` for the answer; true once it is there.
  bool wait_for(std::chrono::milliseconds wait);
  // After wait_for returned true: the addresses, in getaddrinfo's order, or the error.
  const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const { return m_endpoints; }
  const std::string& error() const { return m_error; }

 private:
  void run(const std::string& host, const std::string& port);

  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_done = false;  // guarded by m_mutex; the fields below are written before it is set
  std::vector<boost::asio::ip::tcp::endpoint> m_endpoints;
  std::string m_error;
};

}  // namespace kci
