#pragma once
// Structured logs to stderr: a fixed phrase plus key=value pairs, as logfmt or JSON lines.
// Callers pass values that are safe to print; secrets never reach these functions.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace kci {
enum class LogFormat { logfmt, json };
}  // namespace kci

namespace kci::log {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

void setup(const std::string& level, LogFormat format);
void debug(std::string_view msg, Fields fields = {});
void info(std::string_view msg, Fields fields = {});
void warn(std::string_view msg, Fields fields = {});
void error(std::string_view msg, Fields fields = {});

// Renders one line without emitting it (used by tests of the format).
std::string format_line(LogFormat format, std::string_view level, std::string_view msg,
                        Fields fields);

}  // namespace kci::log
