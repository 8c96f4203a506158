#include "exporter/util/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "exporter/util/result.hpp"

namespace kci {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (m_fd >= 0) ::close(m_fd);
  }
  int get() const { return m_fd; }

 private:
  int m_fd;
};

std::string size_text(std::size_t bytes) {
  if (bytes % (1U << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (1U << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string read_config_file(const std::string& what, const std::string& path,
                             std::size_t max_bytes) {
  const std::string quoted = "\"" + path + "\"";
  if (path.empty()) throw ConfigError(what + ": cannot read \"\": empty path");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0)
    throw ConfigError(what + ": cannot read " + quoted + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw ConfigError(what + ": cannot read " + quoted + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw ConfigError(what + ": " + quoted + " is not a regular file");
  const std::string too_large = what + ": " + quoted + " is larger than " + size_text(max_bytes);
  if (st.st_size < 0 || static_cast<std::uint64_t>(st.st_size) > max_bytes)
    throw ConfigError(too_large);
  // Read to end of file, but never more than max_bytes + 1: st_size may be stale (the file
  // grows) or meaningless (0 for /proc files).
  std::string text(max_bytes + 1, '\0');
  std::size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ConfigError(what + ": cannot read " + quoted + ": " + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > max_bytes) throw ConfigError(too_large);
  text.resize(used);
  return text;
}

std::string read_token_file(const std::string& what, const std::string& path, std::string& error) {
  error.clear();
  std::string token;
  try {
    token = read_config_file(what, path, k_max_token_file_bytes);
  } catch (const ConfigError& e) {
    error = e.what();
    return {};
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  return token;
}

}  // namespace kci
