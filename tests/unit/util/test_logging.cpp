#include <catch2/catch.hpp>

#include "exporter/util/logging.hpp"

using namespace kci;

TEST_CASE("logging: logfmt quotes what needs quoting, json escapes") {
  std::string l = log::format_line(LogFormat::logfmt, "info", "kubecost poll ok",
                                   {{"namespaces", "12"}, {"error", "a \"b\"\nc"}, {"empty", ""}});
  CHECK(l.find(" level=info msg=\"kubecost poll ok\" namespaces=12 error=\"a \\\"b\\\"\\nc\" "
               "empty=\"\"") != std::string::npos);
  CHECK(l.starts_with("ts="));
  CHECK(l.find('\n') == std::string::npos);
  std::string j = log::format_line(LogFormat::json, "error", "x\ty", {{"k", "v\x01"}});
  CHECK(j.find(R"("level":"error","msg":"x\ty","k":"v\u0001"})") != std::string::npos);
  CHECK(j.front() == '{');
}
