// ListObjectsV2 pagination against a lying server: a token that never changes, a cycle, a
// truncated page without a token, and the caps.
#include <catch2/catch.hpp>

#include <map>
#include <optional>

#include "exporter/aws/s3_listing.hpp"

using namespace kci;
using namespace kci::aws;

namespace {

// Pages keyed by the token that asks for them.
struct FakeListing {
  std::map<std::string, ListPage> pages;
  std::vector<std::string> asked;
  Expected<ListPage> operator()(const std::string& token) {
    asked.push_back(token);
    return pages.at(token);
  }
};

ListPage page(std::vector<std::string> keys, const std::string& next) {
  return ListPage{std::move(keys), !next.empty(), next, std::nullopt};
}

}  // namespace

TEST_CASE("s3_listing: pages are followed to the last one") {
  FakeListing f;
  f.pages[""] = page({"a", "b"}, "t1");
  f.pages["t1"] = page({"c"}, "t2");
  f.pages["t2"] = page({"d"}, "");
  auto keys = list_all_pages(std::ref(f), "s3:ListObjectsV2 s3://b/p");
  REQUIRE(keys.ok());
  CHECK(keys.value() == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(f.asked == std::vector<std::string>{"", "t1", "t2"});
}

TEST_CASE("s3_listing: a continuation token that never changes costs two requests") {
  FakeListing f;
  f.pages[""] = page({"a"}, "same");
  f.pages["same"] = page({"a"}, "same");
  auto keys = list_all_pages(std::ref(f), "s3:ListObjectsV2 s3://b/p");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().reason == FailureReason::aws);
  CHECK(keys.failure().message ==
        "s3:ListObjectsV2 s3://b/p: continuation token \"same\" (page 2) was already used: the "
        "listing does not advance");
  CHECK(f.asked.size() == 2);
}

TEST_CASE("s3_listing: a cycle of tokens is caught when it comes round") {
  FakeListing f;
  f.pages[""] = page({"a"}, "A");
  f.pages["A"] = page({"b"}, "B");
  f.pages["B"] = page({"c"}, "A");
  auto keys = list_all_pages(std::ref(f), "list");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message.find("continuation token \"A\" (page 3) was already used") !=
        std::string::npos);
  CHECK(f.asked.size() == 3);
}

TEST_CASE("s3_listing: a truncated page without a token fails instead of losing keys") {
  FakeListing f;
  f.pages[""] = ListPage{{"a"}, true, "", std::nullopt};
  auto keys = list_all_pages(std::ref(f), "list");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message ==
        "list: page 1 is truncated but has no NextContinuationToken: the listing cannot go on");
}

TEST_CASE("s3_listing: fresh tokens forever stop at the page and key caps") {
  int calls = 0;
  auto endless = [&](const std::string&) -> Expected<ListPage> {
    ++calls;
    return page({"k" + std::to_string(calls)}, "t" + std::to_string(calls));
  };
  auto keys = list_all_pages(endless, "list", {.max_pages = 50, .max_keys = 1000});
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message == "list: more than 50 pages: refused");
  CHECK(calls == 50);
  calls = 0;
  auto few = list_all_pages(endless, "list", {.max_pages = 50, .max_keys = 10});
  REQUIRE_FALSE(few.ok());
  CHECK(few.failure().message == "list: more than 10 keys: refused");
  CHECK(calls == 11);
}

TEST_CASE("s3_listing: a failed page is returned as it is") {
  auto failing = [](const std::string&) -> Expected<ListPage> {
    return Failure{FailureReason::timeout, "s3:ListObjectsV2 s3://b/p: no complete answer"};
  };
  auto keys = list_all_pages(failing, "list");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().reason == FailureReason::timeout);
}

TEST_CASE("s3_listing: a page body is parsed") {
  auto p = parse_list_page(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>x/</Prefix>"
      "<KeyCount>2</KeyCount><Contents><Key>x/1</Key><Size>3</Size><Owner><ID>o</ID></Owner>"
      "</Contents><Contents><Key>x/a&amp;b</Key></Contents>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
      "wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>\n");
  REQUIRE(p.ok());
  CHECK(p.value().keys == std::vector<std::string>{"x/1", "x/a&b"});
  CHECK(p.value().truncated);
  CHECK(p.value().next_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  auto last = parse_list_page(
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  REQUIRE(last.ok());
  CHECK_FALSE(last.value().truncated);
  CHECK(last.value().keys.empty());
}

TEST_CASE("s3_listing: a page we cannot trust is a failure, not an empty bucket (issue 13 #5)") {
  auto why = [](std::string_view xml) {
    auto p = parse_list_page(xml);
    REQUIRE_FALSE(p.ok());
    CHECK(p.failure().reason == FailureReason::parse);
    CHECK(p.failure().message.ends_with("): nothing is uploaded"));
    return p.failure().message;
  };
  auto has = [](const std::string& message, const std::string& part) {
    INFO(message);
    CHECK(message.find(part) != std::string::npos);
  };
  const std::string head = "<ListBucketResult><Contents><Key>a</Key></Contents>";
  // Cut short, an HTML page, an empty body, another root element.
  has(why(head + "<IsTruncated>fal"), "the document ends inside <IsTruncated>");
  has(why(head), "the document ends inside <ListBucketResult>");
  has(why("<html><body><h1>502 Bad Gateway</h1></body></html>"),
      "the root element is <html>, not <ListBucketResult>");
  has(why(""), "no <ListBucketResult> element");
  has(why("<!DOCTYPE html><html></html>"), "a DOCTYPE or processing instruction");
  has(why("<ListAllMyBucketsResult><IsTruncated>false</IsTruncated></ListAllMyBucketsResult>"),
      "the root element is <ListAllMyBucketsResult>");
  // Not well-formed.
  has(why(head + "<IsTruncated>false</IsTruncated></ListBucket>"), "does not close");
  has(why("<ListBucketResult><Contents><Key>a & b</Key></Contents>"
          "<IsTruncated>false</IsTruncated></ListBucketResult>"),
      "an '&' that starts no entity");
  has(why(head + "<IsTruncated>false</IsTruncated></ListBucketResult><ListBucketResult/>"),
      "a second root element");
  has(why(head + "<IsTruncated>false</IsTruncated></ListBucketResult>junk"),
      "text outside the root element");
  // IsTruncated and NextContinuationToken consistent; KeyCount counts the Contents.
  has(why(head + "</ListBucketResult>"), "no single <IsTruncated> of true or false");
  has(why(head + "<IsTruncated>yes</IsTruncated></ListBucketResult>"), "no single <IsTruncated>");
  has(why(head + "<IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated>"
                 "</ListBucketResult>"),
      "no single <IsTruncated>");
  has(why(head + "<IsTruncated>true</IsTruncated></ListBucketResult>"),
      "truncated but has no NextContinuationToken");
  has(why(head + "<IsTruncated>false</IsTruncated><NextContinuationToken>t"
                 "</NextContinuationToken></ListBucketResult>"),
      "not truncated, yet it has a NextContinuationToken");
  has(why(head + "<KeyCount>5</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>"),
      "<KeyCount> 5 but 1 <Contents>");
  has(why("<ListBucketResult><Contents><Size>1</Size></Contents><IsTruncated>false"
          "</IsTruncated></ListBucketResult>"),
      "a <Contents> without exactly one <Key>");
  std::string deep = "<ListBucketResult>";
  for (int i = 0; i < 40; ++i) deep += "<a>";
  has(why(deep), "elements nested too deep");
}

TEST_CASE("s3_listing: the page's <Prefix> is read, once") {
  auto p = parse_list_page(
      "<ListBucketResult><Name>b</Name><Prefix>a&amp;b/</Prefix><CommonPrefixes><Prefix>x/"
      "</Prefix></CommonPrefixes><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(p.ok());
  CHECK(p.value().prefix == std::optional<std::string>("a&b/"));
  auto empty = parse_list_page(
      "<ListBucketResult><Prefix/><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(empty.ok());
  CHECK(empty.value().prefix == std::optional<std::string>(""));
  auto none =
      parse_list_page("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(none.ok());
  CHECK_FALSE(none.value().prefix.has_value());
  auto twice = parse_list_page(
      "<ListBucketResult><Prefix>a/</Prefix><Prefix>b/</Prefix><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.failure().message.find("(more than one <Prefix>;") != std::string::npos);
}

TEST_CASE("s3_listing: a page of another prefix, or with a key outside it, is refused") {
  const std::string want = "account_id=111122223333/region=us-east-1/year=2026/month=11/";
  ListPage good{{want + "2026-11-01_c.snappy.parquet"}, false, "", want};
  CHECK(page_outside_prefix(good, want).empty());
  good.prefix.reset();  // a page without <Prefix>: its keys are still checked
  CHECK(page_outside_prefix(good, want).empty());
  CHECK(page_outside_prefix(ListPage{{}, false, "", want}, want).empty());

  // Keys of another account, region or month name a day of this cluster in their last segment.
  for (const std::string key :
       {"account_id=999999999999/region=us-east-1/year=2026/month=11/2026-11-01_c.snappy.parquet",
        "account_id=111122223333/region=eu-west-1/year=2026/month=11/2026-11-01_c.snappy.parquet",
        "account_id=111122223333/region=us-east-1/year=2026/month=10/2026-11-01_c.snappy.parquet",
        "2026-11-01_c.snappy.parquet"}) {
    INFO(key);
    CHECK(page_outside_prefix(ListPage{{want + "x", key}, false, "", want}, want) ==
          "the page lists the key \"" + key + "\", outside the requested prefix \"" + want + "\"");
  }
  const std::string other = "account_id=999999999999/";
  CHECK(page_outside_prefix(ListPage{{}, false, "", other}, want) ==
        "the page is the listing of prefix \"" + other + "\", not of the requested prefix \"" +
            want + "\"");
  CHECK(page_outside_prefix(ListPage{{}, false, "", ""}, want) ==
        "the page is the listing of prefix \"\", not of the requested prefix \"" + want + "\"");
}
