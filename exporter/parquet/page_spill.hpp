#pragma once
// A scratch file for the Parquet writer's finished pages: appended to during a row group, read
// back by (offset, size) at its end, emptied for the next one. The file never has a name in the
// directory (O_TMPFILE, or created and unlinked at once where the file system lacks it), so it is
// gone as soon as the descriptor closes: after success, after a failure, in the destructor and
// when the process dies. A failed write (disk full, file size limit) is reported, never ignored.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kci::parquet {

class PageSpill {
 public:
  PageSpill() = default;
  ~PageSpill();
  PageSpill(const PageSpill&) = delete;
  PageSpill& operator=(const PageSpill&) = delete;

  // Opens the scratch file in `dir`. False, with error() set, when it cannot.
  bool open(const std::string& dir);
  bool is_open() const { return m_fd >= 0; }

  // Appends `bytes` at the end; `offset` receives where they start. False, with error() set,
  // when the bytes could not all be written.
  bool append(std::string_view bytes, std::uint64_t& offset);

  // Hands the `size` bytes at `offset` to `out`, in pieces of at most 1 MiB. False when a read
  // fails (error() set) or when `out` returns false.
  bool copy_out(std::uint64_t offset, std::uint64_t size,
                const std::function<bool(std::string_view)>& out);

  // Empties the file (its disk space is freed) for the next row group.
  bool clear();

  // Closes the file; its space is freed. Idempotent.
  void close();

  std::uint64_t size() const { return m_size; }
  const std::string& error() const { return m_error; }

 private:
  bool fail(const std::string& what);

  int m_fd = -1;
  std::uint64_t m_size = 0;
  std::string m_buffer;  // copy_out's read buffer
  std::string m_error;
};

}  // namespace kci::parquet
