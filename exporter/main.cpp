// allocation-exporter: serve (default), check-config, doctor, s3-export. Thin: it parses the
// command line and configuration and dispatches to the modes in exporter/app (kci_app).
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "exporter/app/doctor_mode.hpp"
#include "exporter/app/s3_export_mode.hpp"
#include "exporter/app/serve_mode.hpp"
#include "exporter/config/config.hpp"
#include "exporter/config/web_config.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/result.hpp"

int main(int argc, char** argv) {
  using namespace kci;
  // A peer that closes its socket mid-write (a scraper, S3, the Pushgateway) must fail that one
  // write with EPIPE, never kill the process: in every mode, before any thread or socket.
  std::signal(SIGPIPE, SIG_IGN);
  // Every poll (and every s3-export day) allocates its large buffers anew: the answer's JSON
  // window and simdjson's indexes, the exposition. glibc's default raises the mmap threshold to
  // the largest block freed (up to 32 MiB), after which such buffers come from the heap and the
  // pages they touched stay resident between polls. A fixed threshold (mallopt(3): setting it
  // turns the adjustment off) keeps blocks of 1 MiB and more in their own mappings, given back
  // when freed. Smaller blocks (the rows and texts a poll grows by doubling) are reused from the
  // heap: at 128 KiB each poll mapped, faulted in and unmapped them all again, 2.7 ms of CPU per
  // poll at 12 000 pods (22.4 ms against 25.1), for 0.8 MiB more peak RSS at 48 000 pods (19.1
  // MiB against 18.3; the real binary as tests/bench/serve_curve.py runs it).
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  try {
    CommandLine cli = parse_command_line(argc, argv);
    if (cli.show_version) {
      std::cout << "allocation-exporter " << EXPORTER_VERSION << "\n";
      return 0;
    }
    if (cli.show_help) {
      std::cout << usage_text();
      return 0;
    }
    Config config = load_config(cli, process_environment());
    if (cli.mode == "check-config") {
      if (!config.web_config_file.empty()) load_web_config(config.web_config_file);
      std::cout << describe_config(config);
      return 0;
    }
    log::setup(config.log_level, config.log_format);
    if (cli.mode == "doctor") return run_doctor(config);
    if (cli.mode == "s3-export") return run_s3_export(config, process_environment());
    return run_serve(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "allocation-exporter: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allocation-exporter: fatal: %s\n", e.what());
    return 1;
  }
}
