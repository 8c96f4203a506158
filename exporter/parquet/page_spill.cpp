#include "exporter/parquet/page_spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace kci::parquet {

PageSpill::~PageSpill() { close(); }

bool PageSpill::fail(const std::string& what) {
  m_error = what + ": " + std::strerror(errno);
  return false;
}

bool PageSpill::open(const std::string& dir) {
  close();
  const std::string where = dir.empty() ? std::string(".") : dir;
#ifdef O_TMPFILE
  m_fd = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (m_fd >= 0) return true;
  // EISDIR / EOPNOTSUPP: the file system has no O_TMPFILE; fall back to a named file below.
  if (errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)
    return fail("cannot create a page spill file in " + where);
#endif
  std::string path = where + "/.parquet-pages-XXXXXX";
  std::vector<char> name(path.begin(), path.end());
  name.push_back('\0');
  m_fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (m_fd < 0) return fail("cannot create a page spill file in " + where);
  if (::unlink(name.data()) != 0) {
    const bool ok = fail("cannot unlink the page spill file " + std::string(name.data()));
    close();
    return ok;
  }
  return true;
}

bool PageSpill::append(std::string_view bytes, std::uint64_t& offset) {
  if (m_fd < 0) {
    m_error = "the page spill file is not open";
    return false;
  }
  offset = m_size;
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::pwrite(m_fd, p, left, static_cast<off_t>(m_size));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return fail("writing the page spill file failed");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    m_size += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool PageSpill::copy_out(std::uint64_t offset, std::uint64_t size,
                         const std::function<bool(std::string_view)>& out) {
  constexpr std::uint64_t k_piece = 1u << 20;
  if (m_fd < 0 || offset + size > m_size) {
    m_error = "the page spill file does not hold the bytes asked for";
    return false;
  }
  m_buffer.resize(static_cast<std::size_t>(std::min(size, k_piece)));
  while (size > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min(size, k_piece));
    const ssize_t n = ::pread(m_fd, m_buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return fail("reading the page spill file failed");
    }
    if (!out(std::string_view(m_buffer.data(), static_cast<std::size_t>(n)))) return false;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::uint64_t>(n);
  }
  return true;
}

bool PageSpill::clear() {
  if (m_fd < 0) return true;
  if (::ftruncate(m_fd, 0) != 0) return fail("emptying the page spill file failed");
  m_size = 0;
  return true;
}

void PageSpill::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  m_size = 0;
  m_buffer = {};
}

}  // namespace kci::parquet
