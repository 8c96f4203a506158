// The writer's page spill file: it lives in WriterOptions::work_dir while a row group is written,
// and is gone after success, after a failure and when the writer is destroyed unfinished; a spill
// that cannot be written (disk full) fails the writer, never yields a file that looks whole.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "exporter/parquet/page_spill.hpp"
#include "exporter/parquet/parquet_writer.hpp"

using namespace kci::parquet;

namespace {

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kci-parquet-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path),
                                                  std::filesystem::directory_iterator()));
  }
  std::string path;
};

// Descriptors of this process open on a file in `dir` (named or already unlinked).
int open_files_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(dir + "/", 0) == 0) ++n;
  }
  return n;
}

std::vector<ColumnSpec> schema() { return {{"s", ColumnType::string}, {"d", ColumnType::float64}}; }

void write_rows(Writer& w, int rows, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < rows; ++i) {
    w.set_string(0, "v-" + std::to_string(rng() % 100000));
    w.set_double(1, u(rng));
    w.end_row();
  }
}

}  // namespace

TEST_CASE("parquet writer: the spill file is in work_dir while writing, gone after success") {
  TempDir dir;
  std::string file;
  WriterOptions options;
  options.work_dir = dir.path;
  options.page_bytes = 4096;
  std::mt19937_64 rng(1);
  {
    Writer w(schema(), options, [&](std::string_view b) {
      file.append(b);
      return true;
    });
    write_rows(w, 20'000, rng);
    CHECK(open_files_in(dir.path) == 1);  // the spill, holding this row group's pages
    CHECK(dir.entries() == 0);            // ... without a name anyone could leave behind
    auto summary = w.finish();
    REQUIRE(summary.ok());
    CHECK(summary.value().bytes == file.size());
    CHECK(open_files_in(dir.path) == 0);
  }
  CHECK(dir.entries() == 0);
  CHECK(file.substr(file.size() - 4) == "PAR1");
}

TEST_CASE("parquet writer: the spill file is gone after the output fails and on destruction") {
  TempDir dir;
  WriterOptions options;
  options.work_dir = dir.path;
  options.page_bytes = 4096;
  options.row_group_rows = 5000;
  std::mt19937_64 rng(2);
  {
    std::size_t taken = 0;
    Writer w(schema(), options, [&](std::string_view b) {
      taken += b.size();
      return taken < 20'000;  // the disk under the output fills up in the first row group
    });
    write_rows(w, 12'000, rng);
    auto summary = w.finish();
    REQUIRE_FALSE(summary.ok());
    CHECK(open_files_in(dir.path) == 0);
  }
  CHECK(dir.entries() == 0);
  {
    Writer w(schema(), options, [](std::string_view) { return true; });
    write_rows(w, 12'000, rng);
    CHECK(open_files_in(dir.path) == 1);
  }  // destroyed without finish()
  CHECK(open_files_in(dir.path) == 0);
  CHECK(dir.entries() == 0);
}

TEST_CASE("parquet writer: a work_dir that cannot hold the spill fails the writer cleanly") {
  WriterOptions options;
  options.work_dir = "/nonexistent/kci-parquet-work";
  bool wrote = false;
  Writer w(schema(), options, [&](std::string_view) {
    wrote = true;
    return true;
  });
  std::mt19937_64 rng(3);
  write_rows(w, 1000, rng);
  auto summary = w.finish();
  REQUIRE_FALSE(summary.ok());
  CHECK(summary.failure().message.find("/nonexistent/kci-parquet-work") != std::string::npos);
  CHECK_FALSE(wrote);
}

TEST_CASE("parquet writer: a full disk under the spill fails the writer, no whole-looking file") {
  TempDir dir;
  WriterOptions options;
  options.work_dir = dir.path;
  options.codec = Codec::uncompressed;
  options.page_bytes = 16 << 10;
  std::string file;
  // RLIMIT_FSIZE makes writes past 64 KiB fail (EFBIG), as a full disk would; SIGXFSZ ignored.
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 64 << 10;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  kci::Expected<FileSummary> summary = kci::Failure{kci::FailureReason::parquet, "not run"};
  {
    Writer w(schema(), options, [&](std::string_view b) {
      file.append(b);
      return true;
    });
    std::mt19937_64 rng(4);
    write_rows(w, 50'000, rng);  // ~1 MiB of pages for the spill
    summary = w.finish();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE_FALSE(summary.ok());
  CHECK(summary.failure().message.find("spill") != std::string::npos);
  CHECK((file.size() < 8 || file.substr(file.size() - 4) != "PAR1"));  // no footer
  CHECK(dir.entries() == 0);
}

TEST_CASE("page spill: appended pages read back by offset, emptied by clear()") {
  TempDir dir;
  PageSpill spill;
  REQUIRE(spill.open(dir.path));
  std::uint64_t a = 0, b = 0;
  REQUIRE(spill.append("first page", a));
  REQUIRE(spill.append(std::string(3 << 20, 'x'), b));  // read back in 1 MiB pieces
  CHECK(a == 0);
  CHECK(b == 10);
  std::string got;
  auto collect = [&](std::string_view piece) {
    got.append(piece);
    return true;
  };
  REQUIRE(spill.copy_out(b, 3 << 20, collect));
  CHECK(got == std::string(3 << 20, 'x'));
  got.clear();
  REQUIRE(spill.copy_out(a, 10, collect));
  CHECK(got == "first page");
  CHECK_FALSE(spill.copy_out(b, (3 << 20) + 1, collect));  // past the end
  REQUIRE(spill.clear());
  CHECK(spill.size() == 0);
  REQUIRE(spill.append("again", a));
  CHECK(a == 0);
  CHECK(dir.entries() == 0);
  spill.close();
  CHECK(open_files_in(dir.path) == 0);
}
