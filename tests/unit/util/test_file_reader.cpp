// read_config_file: only regular files, only up to the bound, with one-line errors.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "exporter/util/file_reader.hpp"
#include "exporter/util/result.hpp"

using namespace kci;

namespace {

std::string error_of(const std::string& path, std::size_t max = k_max_config_file_bytes) {
  try {
    read_config_file("config.file", path, max);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string temp_path() {
  char path[] = "/tmp/kci-reader-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  return path;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("config file reader: a regular file is read whole") {
  const std::string path = temp_path();
  write(path, std::string("a: 1\n\0b: 2\n", 11));
  CHECK(read_config_file("config.file", path) == std::string("a: 1\n\0b: 2\n", 11));
  write(path, "");
  CHECK(read_config_file("config.file", path).empty());
  std::remove(path.c_str());
}

TEST_CASE("config file reader: directories, devices and FIFOs are refused, not read") {
  CHECK(error_of("/tmp") == "config.file: \"/tmp\" is not a regular file");
  CHECK(error_of("/dev/zero") == "config.file: \"/dev/zero\" is not a regular file");
  CHECK(error_of("/dev/null") == "config.file: \"/dev/null\" is not a regular file");
  // Opening a FIFO for reading would block until a writer comes; it must not.
  const std::string fifo = temp_path();
  std::remove(fifo.c_str());
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(error_of(fifo) == "config.file: \"" + fifo + "\" is not a regular file");
  std::remove(fifo.c_str());
}

TEST_CASE("config file reader: a file over the bound is refused") {
  const std::string path = temp_path();
  write(path, std::string(k_max_config_file_bytes, '#'));
  CHECK(read_config_file("config.file", path).size() == k_max_config_file_bytes);
  write(path, std::string(k_max_config_file_bytes + 1, '#'));
  CHECK(error_of(path) == "config.file: \"" + path + "\" is larger than 1 MiB");
  write(path, "0123456789");
  CHECK(error_of(path, 9) == "config.file: \"" + path + "\" is larger than 9 bytes");
  CHECK(error_of(path, 10).empty());
  std::remove(path.c_str());
}

TEST_CASE("config file reader: the read itself is bounded, whatever the size said") {
  // /proc files are regular files whose st_size is 0: only the bounded read can refuse them.
  struct stat st {};
  REQUIRE(stat("/proc/self/maps", &st) == 0);
  REQUIRE(st.st_size == 0);
  CHECK(error_of("/proc/self/maps", 16) ==
        "config.file: \"/proc/self/maps\" is larger than 16 bytes");
  CHECK_FALSE(read_config_file("config.file", "/proc/self/maps").empty());
}

TEST_CASE("config file reader: a missing or unreadable file says why") {
  CHECK(error_of("/nonexistent/x.yaml") ==
        "config.file: cannot read \"/nonexistent/x.yaml\": No such file or directory");
  CHECK(error_of("") == "config.file: cannot read \"\": empty path");
}

TEST_CASE("token files: 64 KiB at most, never a device; trailing line ends dropped") {
  const std::string path = temp_path();
  std::string error;
  write(path, "eyJhbGciOi.token\r\n");
  CHECK(read_token_file("AWS_WEB_IDENTITY_TOKEN_FILE", path, error) == "eyJhbGciOi.token");
  CHECK(error.empty());
  // /dev/zero used to be read whole (the process grew to 2 GB): refused, nothing read.
  CHECK(read_token_file("bearer token file", "/dev/zero", error).empty());
  CHECK(error == "bearer token file: \"/dev/zero\" is not a regular file");
  write(path, std::string(k_max_token_file_bytes + 1, 'x'));
  CHECK(read_token_file("bearer token file", path, error).empty());
  CHECK(error == "bearer token file: \"" + path + "\" is larger than 64 KiB");
  write(path, std::string(k_max_token_file_bytes, 'x'));
  CHECK(read_token_file("bearer token file", path, error).size() == k_max_token_file_bytes);
  CHECK(error.empty());
  std::remove(path.c_str());
  CHECK(read_token_file("bearer token file", path, error).empty());
  CHECK(error.find("bearer token file: cannot read \"" + path + "\": ") == 0);
}
