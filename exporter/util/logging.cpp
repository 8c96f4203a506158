#include "exporter/util/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace kci::log {
namespace {

LogFormat g_format = LogFormat::logfmt;

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_logfmt_value(std::string& out, std::string_view s) {
  bool quote = s.empty() || s.find_first_of(" =\"\\\n\r\t") != std::string_view::npos;
  if (!quote) {
    out += s;
    return;
  }
  append_json_string(out, s);
}

void emit(spdlog::level::level_enum level, std::string_view level_name, std::string_view msg,
          Fields fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  spdlog::default_logger_raw()->log(level, "{}", format_line(g_format, level_name, msg, fields));
}

}  // namespace

std::string format_line(LogFormat format, std::string_view level, std::string_view msg,
                        Fields fields) {
  std::string out;
  out.reserve(128);
  if (format == LogFormat::json) {
    out += "{\"ts\":\"" + timestamp() + "\",\"level\":\"";
    out += level;
    out += "\",\"msg\":";
    append_json_string(out, msg);
    for (auto& [k, v] : fields) {
      out += ',';
      append_json_string(out, k);
      out += ':';
      append_json_string(out, v);
    }
    out += '}';
  } else {
    out += "ts=" + timestamp() + " level=";
    out += level;
    out += " msg=";
    append_logfmt_value(out, msg);
    for (auto& [k, v] : fields) {
      out += ' ';
      out += k;
      out += '=';
      append_logfmt_value(out, v);
    }
  }
  return out;
}

void setup(const std::string& level, LogFormat format) {
  g_format = format;
  spdlog::drop("allocation-exporter");  // setup may run more than once (tests)
  auto logger = spdlog::stderr_logger_mt("allocation-exporter");
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

void debug(std::string_view msg, Fields f) { emit(spdlog::level::debug, "debug", msg, f); }
void info(std::string_view msg, Fields f) { emit(spdlog::level::info, "info", msg, f); }
void warn(std::string_view msg, Fields f) { emit(spdlog::level::warn, "warn", msg, f); }
void error(std::string_view msg, Fields f) { emit(spdlog::level::err, "error", msg, f); }

}  // namespace kci::log
