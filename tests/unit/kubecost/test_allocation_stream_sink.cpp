// AllocationStreamSink: the BodySink the serve snapshot, the label families and s3-export share.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "exporter/kubecost/allocation_stream_sink.hpp"

using namespace kci;

TEST_CASE("allocation stream sink: chunks reach the visitor; a failure refuses the rest") {
  std::vector<std::string> names;
  AllocationStreamSink sink({}, [&](const ParsedAllocation& a) { names.emplace_back(a.name); });
  const std::string body = R"({"code":200,"data":[{"a":{"name":"a","totalCost":1}}]})";
  for (char c : body) REQUIRE(sink.write(std::string_view(&c, 1)));
  REQUIRE(sink.finish().ok());
  CHECK(names == std::vector<std::string>{"a"});

  sink.begin();  // a retry starts over
  // Malformed: refused by the write that completes a window, before the rest is read.
  CHECK_FALSE(sink.write(R"({"code":200,"data":]})" + std::string(k_default_window_bytes, ' ')));
  CHECK_FALSE(sink.write(body));  // refused: the first failure stands
  auto failed = sink.finish();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.failure().reason == FailureReason::parse);

  sink.begin();
  REQUIRE(sink.write(body));
  REQUIRE(sink.finish().ok());
  CHECK(names == std::vector<std::string>{"a", "a"});
}
