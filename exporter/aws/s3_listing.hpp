#pragma once
// The pagination rules of S3 ListObjectsV2, apart from the network so they can be tested alone.
// S3 answers at most 1 000 keys per page; a page with <IsTruncated>true</IsTruncated> carries a
// <NextContinuationToken> to send as `continuation-token` for the next page ("Amazon S3 API
// Reference: ListObjectsV2", https://docs.aws.amazon.com/AmazonS3/latest/API/
// API_ListObjectsV2.html). A server that breaks them must not keep us listing forever.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci::aws {

struct ListPage {
  std::vector<std::string> keys;
  bool truncated = false;
  std::string next_token;             // "" when the page has none
  std::optional<std::string> prefix;  // the page's <Prefix>; nullopt when it has none
};

// One ListObjectsV2 answer body, read strictly: a page we cannot be sure of is a failure (reason
// `parse`), never "no objects", because a listing that misses keys makes s3-export upload days
// again. The body must be a well-formed XML document (an optional declaration and comments, no
// DOCTYPE, tags balanced, at most 32 levels deep, entities and character references valid, nothing
// but blanks after the root) whose root element is <ListBucketResult> ("Amazon S3 API Reference:
// ListObjectsV2", Response Syntax, https://docs.aws.amazon.com/AmazonS3/latest/API/
// API_ListObjectsV2.html). Of its children: <IsTruncated> must be there once and be true or false;
// <NextContinuationToken> is sent "when isTruncated is true" (same page), so it must be there,
// non-empty, exactly when the page is truncated; <KeyCount>, when present, must count the
// <Contents>; each <Contents> holds one non-empty <Key>. Only ListBucketResult/Contents/Key are
// keys (a <Key> elsewhere, e.g. under an <Owner>, is not). <Prefix> (ListBucketResult/Prefix,
// "Keys that begin with the indicated prefix"), when present, must be there once.
Expected<ListPage> parse_list_page(std::string_view xml);

// "" when `page` answers a listing of `requested`: its <Prefix>, when present, is `requested`
// and every key starts with `requested` (ListObjectsV2 "Limits the response to keys that begin
// with the specified prefix"). Else why not, naming the page's prefix or the first key outside
// it, and the requested prefix. A page that breaks this is not trusted at all: a key of another
// account, region or month would otherwise mark a day as already in S3 (the day's name is read
// from the key's last segment).
std::string page_outside_prefix(const ListPage& page, const std::string& requested);

struct ListLimits {
  std::size_t max_pages = 10'000;    // 10 million keys at S3's page size
  std::size_t max_keys = 1'000'000;  // ~100 MB of key strings at most
};

// Every key of a listing: `fetch(token)` answers one page ("" asks for the first). Fails, with
// `what` naming the listing and reason `aws`, when a truncated page has no next token (the rest
// of the listing would be silently lost), when a next token is one already sent (a cycle: the
// listing never ends; the most hostile case, a token that never changes, costs two requests),
// or past `limits`. fetch's own failures are returned as they are.
Expected<std::vector<std::string>> list_all_pages(
    const std::function<Expected<ListPage>(const std::string& token)>& fetch,
    const std::string& what, const ListLimits& limits = {});

}  // namespace kci::aws
