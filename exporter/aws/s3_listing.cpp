#include "exporter/aws/s3_listing.hpp"

#include <unordered_set>

#include "exporter/aws/aws_response.hpp"
#include "exporter/util/text_util.hpp"

namespace kci::aws {

ListPage parse_list_page(std::string_view xml) {
  ListPage page;
  page.keys = xml_values(xml, "Key");
  auto truncated = xml_values(xml, "IsTruncated");
  page.truncated = !truncated.empty() && truncated[0] == "true";
  auto next = xml_values(xml, "NextContinuationToken");
  if (!next.empty()) page.next_token = std::move(next[0]);
  return page;
}

Expected<std::vector<std::string>> list_all_pages(
    const std::function<Expected<ListPage>(const std::string& token)>& fetch,
    const std::string& what, const ListLimits& limits) {
  std::vector<std::string> keys;
  std::unordered_set<std::string> sent;  // every continuation token asked for so far
  std::string token;
  for (std::size_t page_no = 1;; ++page_no) {
    auto page = fetch(token);
    if (!page.ok()) return page.failure();
    if (keys.size() + page.value().keys.size() > limits.max_keys)
      return Failure{FailureReason::aws,
                     what + ": more than " + std::to_string(limits.max_keys) + " keys: refused"};
    for (auto& k : page.value().keys) keys.push_back(std::move(k));
    if (!page.value().truncated) return keys;
    std::string& next = page.value().next_token;
    if (next.empty())
      return Failure{FailureReason::aws,
                     what + ": page " + std::to_string(page_no) +
                         " is truncated but has no NextContinuationToken: the listing cannot "
                         "go on"};
    if (!sent.insert(next).second)
      return Failure{FailureReason::aws, what + ": continuation token \"" + one_line(next, 60) +
                                             "\" (page " + std::to_string(page_no) +
                                             ") was already used: the listing does not advance"};
    if (page_no >= limits.max_pages)
      return Failure{FailureReason::aws,
                     what + ": more than " + std::to_string(limits.max_pages) + " pages: refused"};
    token = std::move(next);
  }
}

}  // namespace kci::aws
