#pragma once
// Reading a configuration file (--config.file, --web.config.file, and the TLS files the web
// config names) without trusting what the path points at: only a regular file, only up to a
// bound, so a directory is not silently an empty config and /dev/zero or a FIFO cannot hang or
// exhaust the process at start-up.
#include <cstddef>
#include <string>

namespace kci {

// Configuration files are hand-written YAML or PEM; 1 MiB is far above any real one (a full CA
// bundle is about 200 KiB).
inline constexpr std::size_t k_max_config_file_bytes = 1U << 20;

// The whole content of the file at `path`. `what` names the setting in errors, which are
// ConfigError with one line:
//   <what>: cannot read "<path>": <strerror>
//   <what>: "<path>" is not a regular file
//   <what>: "<path>" is larger than 1 MiB
// The type and size are checked on the opened descriptor (no race with a rename), and the read
// itself stops one byte past the limit, so a file that grows while it is read is refused too.
// The file is opened non-blocking (a FIFO cannot block the open) and without becoming the
// controlling terminal.
std::string read_config_file(const std::string& what, const std::string& path,
                             std::size_t max_bytes = k_max_config_file_bytes);

// Token files (a bearer token, the service-account token, AWS_WEB_IDENTITY_TOKEN_FILE, the Pod
// Identity token) are a few KiB at most; 64 KiB bounds what a wrong path (/dev/zero, a FIFO, a
// log file) can cost.
inline constexpr std::size_t k_max_token_file_bytes = 64U << 10;

// A token file, read again on every use (tokens rotate): read_config_file's checks with the
// 64 KiB bound, trailing CR, LF and blanks removed. On failure: "" and `error` set to
// read_config_file's one line (`what`, the path and why; never the content).
std::string read_token_file(const std::string& what, const std::string& path, std::string& error);

}  // namespace kci
