// The stream framing of Allocation answers: chunks of any size, the envelope in any order,
// failures that arrive late, and the per-allocation bound.
#include <catch2/catch.hpp>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "exporter/kubecost/allocation_stream.hpp"

using namespace kci;

namespace {

struct Seen {
  std::vector<std::string> names;
  std::vector<std::string> namespaces;
  double total = 0;
  double cpu = 0;
};

struct Outcome {
  Seen seen;
  bool ok = false;
  FailureReason reason = FailureReason::internal;
  std::string message;
};

// Feeds `body` in pieces cut at `cuts` (byte offsets, ascending).
Outcome run(const std::string& body, const std::vector<std::size_t>& cuts,
            std::size_t max_bytes = k_default_max_allocation_bytes,
            std::size_t window_bytes = k_default_window_bytes) {
  Outcome out;
  ParseOptions options;
  AllocationVisitor visit = [&](const ParsedAllocation& a) {
    out.seen.names.emplace_back(a.name);
    out.seen.namespaces.emplace_back(a.namespace_name);
    if (a.get(AllocField::total_cost) == a.get(AllocField::total_cost))
      out.seen.total += a.get(AllocField::total_cost);
    if (a.get(AllocField::cpu_cost) == a.get(AllocField::cpu_cost))
      out.seen.cpu += a.get(AllocField::cpu_cost);
  };
  AllocationStream stream(options, visit, max_bytes, window_bytes);
  std::size_t from = 0;
  auto fail = [&](const Failure& f) {
    out.reason = f.reason;
    out.message = f.message;
    return out;
  };
  for (std::size_t cut : cuts) {
    auto fed = stream.feed(std::string_view(body).substr(from, cut - from));
    if (!fed.ok()) return fail(fed.failure());
    from = cut;
  }
  auto fed = stream.feed(std::string_view(body).substr(from));
  if (!fed.ok()) return fail(fed.failure());
  auto done = stream.finish();
  if (!done.ok()) return fail(done.failure());
  out.ok = true;
  return out;
}

Outcome whole(const std::string& body, std::size_t max_bytes = k_default_max_allocation_bytes,
              std::size_t window_bytes = k_default_window_bytes) {
  return run(body, {}, max_bytes, window_bytes);
}

// Quotes, escapes, brackets inside strings, nested objects, a null set and a null allocation.
const std::string k_small =
    R"({"code":200,"status":"success","data":[null,{"a\"1":{"name":"a\"1","properties":)"
    R"({"namespace":"n{s}[1]","labels":{"x":"\\\"]}"}},"totalCost":1.5,"window":)"
    R"({"start":"2024-01-01T00:00:00Z","end":"2024-01-01T01:00:00Z"}},"b":null,)"
    R"("c":{"properties":{"namespace":"ns2"},"totalCost":2.25,"extra":[[1,{"y":"}"}],[]]}}],)"
    R"("message":"ok"})";

}  // namespace

TEST_CASE("stream: every cut of a small answer, and byte-by-byte, means the same") {
  const Outcome reference = whole(k_small);
  REQUIRE(reference.ok);
  CHECK(reference.seen.names == std::vector<std::string>{"a\"1", "c"});
  CHECK(reference.seen.namespaces == std::vector<std::string>{"n{s}[1]", "ns2"});
  CHECK(reference.seen.total == 3.75);
  for (std::size_t i = 1; i < k_small.size(); ++i) {
    INFO("cut at byte " << i);
    const Outcome o = run(k_small, {i});
    REQUIRE(o.ok);
    CHECK(o.seen.names == reference.seen.names);
    CHECK(o.seen.namespaces == reference.seen.namespaces);
    CHECK(o.seen.total == reference.seen.total);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < k_small.size(); ++i) every.push_back(i);
  const Outcome bytes = run(k_small, every);
  REQUIRE(bytes.ok);
  CHECK(bytes.seen.names == reference.seen.names);
}

TEST_CASE("stream: windows ending at every byte (strings, escapes, UTF-8, numbers) mean the same") {
  // Two- to four-byte UTF-8 sequences, escapes, and numbers a window can cut.
  const std::string body = k_small.substr(0, k_small.size() - 1) +
                           ",\"extra\":[12345.678e-3,\"caf\u00e9 \u6e2c\u8a66 \U0001F600\"],"
                           "\"data\":[{\"\u00e9\u6e2c\U0001F600\\\\\":{\"totalCost\":-0.125e1,"
                           "\"properties\":{\"namespace\":\"\u6e2c\\\"\"}}}]}";
  const Outcome reference = whole(body);
  REQUIRE(reference.ok);
  CHECK(reference.seen.names == std::vector<std::string>{"a\"1", "c", "\u00e9\u6e2c\U0001F600\\"});
  CHECK(reference.seen.namespaces == std::vector<std::string>{"n{s}[1]", "ns2", "\u6e2c\""});
  CHECK(reference.seen.total == 3.75 - 1.25);
  for (std::size_t window = 1; window <= 70; ++window) {
    INFO("window of " << window << " bytes");
    const Outcome o = whole(body, k_default_max_allocation_bytes, window);
    REQUIRE(o.ok);
    CHECK(o.seen.names == reference.seen.names);
    CHECK(o.seen.namespaces == reference.seen.namespaces);
    CHECK(o.seen.total == reference.seen.total);
    const Outcome cut = run(body, {window * 3}, k_default_max_allocation_bytes, window);
    REQUIRE(cut.ok);
    CHECK(cut.seen.names == reference.seen.names);
  }
}

TEST_CASE("stream: bytes written into its room are taken in place and mean the same") {
  for (std::size_t window : {std::size_t{7}, std::size_t{64}, k_default_window_bytes}) {
    INFO("window of " << window << " bytes");
    Seen seen;
    AllocationVisitor visit = [&](const ParsedAllocation& a) { seen.names.emplace_back(a.name); };
    const ParseOptions options;  // the stream keeps a reference: it must outlive it
    AllocationStream stream(options, visit, k_default_max_allocation_bytes, window);
    // Leading whitespace: the stream skips it, then moves the rest within its own buffer.
    const std::string body = "  \n" + k_small;
    for (std::size_t at = 0; at < body.size();) {
      const std::span<char> room = stream.room();
      REQUIRE_FALSE(room.empty());
      const std::size_t n = std::min(room.size(), body.size() - at);
      std::copy_n(body.data() + at, n, room.data());
      REQUIRE(stream.feed(std::string_view(room.data(), n)).ok());
      at += n;
    }
    REQUIRE(stream.finish().ok());
    CHECK(seen.names == std::vector<std::string>{"a\"1", "c"});
  }
}

TEST_CASE("stream: malformed bytes are refused in whichever window they arrive") {
  const std::string bad_utf8 = "{\"data\":[{\"a\":{\"totalCost\":1,\"x\":\"\xff\"}}]}";
  const std::string bad_number = R"({"data":[{"a":{"totalCost":1.2.3}}]})";
  const std::string bad_escape = R"({"data":[{"a\q":{"totalCost":1}}]})";
  for (std::size_t window :
       {std::size_t{1}, std::size_t{5}, std::size_t{16}, k_default_window_bytes}) {
    INFO("window of " << window << " bytes");
    for (const std::string* body : {&bad_utf8, &bad_number, &bad_escape}) {
      const Outcome o = whole(*body, k_default_max_allocation_bytes, window);
      CHECK_FALSE(o.ok);
      CHECK(o.reason == FailureReason::parse);
    }
  }
  // Cut inside an allocation, whatever the window: truncated, after the whole ones.
  const std::string cut = R"({"code":200,"data":[{"a":{"totalCost":1},"b":{"totalCost":2,"pro)";
  for (std::size_t window = 1; window <= cut.size() + 1; ++window) {
    const Outcome o = whole(cut, k_default_max_allocation_bytes, window);
    REQUIRE_FALSE(o.ok);
    CHECK(o.message.find("truncated") != std::string::npos);
    CHECK(o.seen.names == std::vector<std::string>{"a"});
  }
}

TEST_CASE("stream: envelope fields after data are honoured") {
  const Outcome ok = whole(R"({"data":[{"a":{"totalCost":1}}],"code":200,"message":"fine"})");
  CHECK(ok.ok);
  const Outcome late =
      whole(R"({"data":[{"a":{"totalCost":1},"b":{"totalCost":2}}],"code":500,"message":"boom"})");
  REQUIRE_FALSE(late.ok);
  CHECK(late.reason == FailureReason::http_status);
  CHECK(late.message == "Kubecost answered code 500: boom");
  CHECK(late.seen.names.size() == 2);  // seen, and still refused: callers keep nothing
}

TEST_CASE("stream: a body cut inside an allocation is a parse failure, not a short answer") {
  const std::string body = R"({"code":200,"data":[{"a":{"totalCost":1},"b":{"totalCost":2,"pro)";
  const Outcome o = whole(body);
  REQUIRE_FALSE(o.ok);
  CHECK(o.reason == FailureReason::parse);
  CHECK(o.message.find("truncated") != std::string::npos);
  CHECK(o.seen.names == std::vector<std::string>{"a"});
}

TEST_CASE("stream: one allocation over the bound is too_large and names it") {
  std::string big = R"({"code":200,"data":[{"small":{"totalCost":1},"huge":{"properties":{"x":")";
  big += std::string(5000, 'x');
  big += R"("},"totalCost":2}}]})";
  const Outcome o = whole(big, 4096);
  REQUIRE_FALSE(o.ok);
  CHECK(o.reason == FailureReason::too_large);
  CHECK(o.message == "allocation \"huge\" is larger than 4096 bytes");
  CHECK(whole(big, 8192).ok);
  // Arriving over many windows, it is refused once the kept part passes the bound.
  const Outcome windows = whole(big, 4096, 100);
  REQUIRE_FALSE(windows.ok);
  CHECK(windows.reason == FailureReason::too_large);
  CHECK(windows.message == "allocation \"huge\" is larger than 4096 bytes");
  CHECK(windows.seen.names == std::vector<std::string>{"small"});
  CHECK(whole(big, 8192, 100).ok);
}

TEST_CASE("stream: names from the answer are quoted on one line in messages") {
  std::string big = R"({"data":[{"a\nb\u001b[31m":{"properties":{"x":")";
  big += std::string(5000, 'x');
  big += R"("}}}]})";
  const Outcome o = whole(big, 4096);
  REQUIRE_FALSE(o.ok);
  CHECK(o.message == "allocation \"a b [31m\" is larger than 4096 bytes");
  const Outcome bad = whole("{\"data\":[{\"x\\r\\n\":{\"totalCost\":1.2.3}}]}");
  REQUIRE_FALSE(bad.ok);
  CHECK(bad.message.starts_with("invalid JSON in allocation \"x  \" (at byte "));
  CHECK(whole("\x01\x02 not json\n").message == "not JSON: \"   not json \"");
}

TEST_CASE("stream: one verdict for a key or a value over the bound, whatever the windows") {
  const std::string long_key =
      R"({"code":200,"data":[{"a":{}}],")" + std::string(400, 'k') + R"(":1})";
  const std::string bad_value =
      R"({"code":200,"data":[{"a":{"x":")" + std::string(400, 'v') + R"(" "y"}}]})";
  for (const std::string* body : {&long_key, &bad_value}) {
    const Outcome reference = whole(*body, 100);
    REQUIRE_FALSE(reference.ok);
    CHECK(reference.reason == FailureReason::too_large);
    for (std::size_t window : {std::size_t{3}, std::size_t{17}, std::size_t{64}}) {
      INFO("window of " << window << " bytes");
      const Outcome o = run(*body, {7, 50, 150}, 100, window);
      CHECK(o.reason == reference.reason);
      CHECK(o.message == reference.message);
    }
  }
  CHECK(whole(long_key, 100).message == "an object key is larger than 100 bytes");
}

TEST_CASE("stream: numbers outside allocations are read alone, and checked") {
  // Numbers as sets, as allocations and as envelope values: skipped when valid, refused when not.
  std::string body = R"({"code":200,"n":-1.5e3,"data":[1,{"a":{"totalCost":2},"b":7},)";
  for (int k = 0; k < 2000; ++k) body += "12345,";
  body += "0]}";
  for (std::size_t window : {std::size_t{9}, std::size_t{1000}, k_default_window_bytes}) {
    const Outcome o = whole(body, k_default_max_allocation_bytes, window);
    REQUIRE(o.ok);
    CHECK(o.seen.names == std::vector<std::string>{"a"});
  }
  for (const char* bad : {"01", "1.", "-", "1e", "+1", "0x1", "1 2"}) {
    INFO(bad);
    CHECK(whole(std::string(R"({"data":[{"a":{}},)") + bad + "]}").reason == FailureReason::parse);
    CHECK(whole(std::string(R"({"code":)") + bad + R"(,"data":[{"a":{}}]})").reason ==
          FailureReason::parse);
  }
}

TEST_CASE("stream: code must be 200 exactly; message is one line") {
  const Outcome huge = whole(R"({"code":1e300,"data":[{"a":{}}]})");
  CHECK(huge.reason == FailureReason::http_status);
  CHECK(huge.message == "Kubecost answered code 1e+300");
  CHECK(whole(R"({"code":200.5,"data":[{"a":{}}]})").message == "Kubecost answered code 200.5");
  CHECK(whole(R"({"code":200.0,"data":[{"a":{}}]})").ok);
  const Outcome lines =
      whole(R"({"code":500,"message":"line1\nline2\u001b[31mRED\r","data":null})");
  CHECK(lines.message == "Kubecost answered code 500: line1 line2 [31mRED ");
}

TEST_CASE("stream: malformed framing is refused where it happens") {
  CHECK(whole(R"({"code":200,"data":[{"a":{"totalCost":1}} {"b":{}}]})").reason ==
        FailureReason::parse);  // missing comma between sets
  CHECK(whole(R"({"code":200 "data":[]})").reason == FailureReason::parse);
  CHECK(whole(R"({"code":200,"data":[{"a":{"totalCost":1}}]}]})").reason == FailureReason::parse);
  CHECK(whole(R"({"code":2x0,"data":[{"a":{"totalCost":1}}]})").reason == FailureReason::parse);
  CHECK(whole(R"({"data":[{"a":{"totalCost":1}}]})").ok);             // no code at all: fine
  const Outcome single = whole(R"({"data":{"a":{"totalCost":4}}})");  // one set, not an array
  REQUIRE(single.ok);
  CHECK(single.seen.total == 4);
}

TEST_CASE("stream: fields read are checked in full, fields skipped for their structure") {
  for (std::size_t window : {std::size_t{3}, std::size_t{17}, k_default_window_bytes}) {
    INFO("window of " << window << " bytes");
    // A skipped number's spelling is not read (as simdjson On-Demand skips it).
    const Outcome skipped = whole(R"({"data":[{"a":{"totalCost":1.5,"cpuCores":1.2.3}}]})",
                                  k_default_max_allocation_bytes, window);
    CHECK(skipped.ok);
    CHECK(skipped.seen.total == 1.5);
    for (const char* bad : {
             R"({"data":[{"a":{"totalCost":1e400}}]})",                  // read: overflows
             R"({"data":[{"a":{"totalCost":1,"x":[1,}}]})",              // skipped: its structure
             R"({"data":[{"a":{"totalCost":1,"x":nul}}]})",              // skipped: an atom
             R"({"data":[{"a":{"properties":{"namespace":"a\qb"}}}]})",  // read: its escape
             R"({"data":[{"a":{"totalCost":1 "x":2}}]})",
         }) {
      INFO(bad);
      const Outcome o = whole(bad, k_default_max_allocation_bytes, window);
      CHECK_FALSE(o.ok);
      CHECK(o.reason == FailureReason::parse);
      CHECK(o.message.starts_with("invalid JSON in allocation \"a\""));
    }
  }
}

TEST_CASE("stream: each allocation's keys are read by name, in whatever order it writes them") {
  // The decoder tries the keys of the last allocation's order first: keys of one length at one
  // position, unknown keys, a key left out and a repeated key (the last value counts) must still
  // land in their own fields.
  const std::string body =
      R"({"data":[{"a":{"properties":{"namespace":"n1"},"cpuCost":1,"totalCost":2},)"
      R"("b":{"properties":{"namespace":"n2"},"gpuCost":4,"totalCost":8},)"
      R"("c":{"minutes":60,"x":{"cpuCost":32},"totalCost":64,"properties":{"namespace":"n3"}},)"
      R"("d":{"properties":{"namespace":"n4"},"cpuCost":128,"cpuCost":256,"totalCost":512},)"
      R"("e":{"properties":{"namespace":"n5"},"ramCost":1024,"cpuCost":2048,"totalCost":4096}}]})";
  for (std::size_t window : {std::size_t{5}, k_default_window_bytes}) {
    INFO("window of " << window << " bytes");
    const Outcome o = whole(body, k_default_max_allocation_bytes, window);
    REQUIRE(o.ok);
    CHECK(o.seen.names == std::vector<std::string>{"a", "b", "c", "d", "e"});
    CHECK(o.seen.namespaces == std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"});
    CHECK(o.seen.total == 2 + 8 + 64 + 512 + 4096);
    CHECK(o.seen.cpu == 1 + 256 + 2048);
  }
}
