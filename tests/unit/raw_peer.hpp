#pragma once
// kci::test::RawPeer: a hostile HTTP peer on 127.0.0.1 that answers every connection with
// whatever bytes its script writes (an endless status line, header flood, broken chunking), one
// connection at a time, on its own thread. The script sends through RawConnection::send, which
// gives up once the client has closed or the peer is stopping; the destructor stops and joins.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace kci::test {

class RawConnection {
 public:
  RawConnection(int fd, const std::atomic<bool>& stop, std::atomic<std::uint64_t>& sent)
      : m_fd(fd), m_stop(stop), m_sent(sent) {}
  // Sends all of `bytes`; false once the client closed or the peer is stopping.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      if (m_stop) return false;
      const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
      m_sent += static_cast<std::uint64_t>(n);
    }
    return true;
  }
  bool stopping() const { return m_stop; }

 private:
  int m_fd;
  const std::atomic<bool>& m_stop;
  std::atomic<std::uint64_t>& m_sent;
};

class RawPeer {
 public:
  using Script = std::function<void(RawConnection&)>;

  explicit RawPeer(Script script) : m_script(std::move(script)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (m_listener < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::listen(m_listener, 8) != 0)
      throw std::runtime_error("bind/listen");
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~RawPeer() {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  int port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  std::uint64_t bytes_sent() const { return m_sent; }
  int connections() const { return m_connections; }

 private:
  void serve() {
    while (!m_stop) {
      pollfd p{m_listener, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(m_listener, nullptr, nullptr);
      if (c < 0) continue;
      ++m_connections;
      // Reads the request head (bounded), so the client is past sending when the answer starts.
      const timeval timeout{0, 100'000};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      std::string request;
      char buf[4096];
      for (int i = 0;
           i < 50 && request.find("\r\n\r\n") == std::string::npos && request.size() < 65536; ++i) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n > 0) request.append(buf, static_cast<std::size_t>(n));
        if (n == 0) break;
      }
      RawConnection connection(c, m_stop, m_sent);
      m_script(connection);
      ::close(c);
    }
  }

  Script m_script;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<std::uint64_t> m_sent{0};
  std::atomic<int> m_connections{0};
  std::thread m_thread;
};

// Sends `unit` again and again (at most `max_bytes` in all) until the client stops reading.
inline void send_forever(RawConnection& c, std::string_view unit, std::uint64_t max_bytes) {
  for (std::uint64_t sent = 0; sent < max_bytes && c.send(unit); sent += unit.size()) {
  }
}

}  // namespace kci::test
