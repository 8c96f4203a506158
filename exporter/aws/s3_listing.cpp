#include "exporter/aws/s3_listing.hpp"

#include <unordered_set>

#include "exporter/aws/aws_response.hpp"
#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

constexpr std::size_t k_max_depth = 32;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}

// True when every '&' in `text` starts an entity xml_decode knows (XML 1.0 section 4.1: a bare
// '&' is not well-formed).
bool entities_valid(std::string_view text) {
  for (auto amp = text.find('&'); amp != std::string_view::npos; amp = text.find('&', amp + 1)) {
    const auto window = text.substr(amp, 11);
    const auto semi = window.find(';');
    if (semi == std::string_view::npos) return false;
    const std::string one(window.substr(0, semi + 1));
    if (xml_decode(one) == one) return false;  // not decoded: no entity
  }
  return true;
}

// A single pass over the document: checks it is well-formed and collects what ListObjectsV2
// pages hold. Linear in the size of the body.
class PageReader {
 public:
  explicit PageReader(std::string_view xml) : m_xml(xml) {}

  // "" when the page is good, else why not.
  std::string read(ListPage& page) {
    std::string_view s = m_xml;
    if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
    std::size_t i = 0;
    auto skip_blanks = [&] {
      while (i < s.size() && is_blank(s[i])) ++i;
    };
    skip_blanks();
    if (s.substr(i).starts_with("<?xml")) {
      const auto end = s.find("?>", i);
      if (end == std::string_view::npos) return "the XML declaration does not end";
      i = end + 2;
    }
    bool root_seen = false, root_closed = false;
    std::vector<std::string_view> stack;
    std::size_t text_start = std::string_view::npos;
    int truncated_seen = 0, token_seen = 0, count_seen = 0, prefix_seen = 0;
    std::string truncated_text, count_text;
    long long contents = 0;
    int keys_in_contents = 0;
    while (i < s.size()) {
      if (s[i] != '<') {
        if (stack.empty()) {
          if (!is_blank(s[i])) return "text outside the root element";
          ++i;
          continue;
        }
        const auto lt = s.find('<', i);
        if (lt == std::string_view::npos)
          return "the document ends inside <" + std::string(stack.back()) + ">";
        if (!entities_valid(s.substr(i, lt - i))) return "an '&' that starts no entity";
        i = lt;
        continue;
      }
      const std::string_view rest = s.substr(i);
      if (rest.starts_with("<!--")) {
        const auto end = s.find("-->", i + 4);
        if (end == std::string_view::npos) return "a comment does not end";
        i = end + 3;
        continue;
      }
      if (rest.starts_with("<![CDATA[")) {
        if (stack.empty()) return "CDATA outside the root element";
        const auto end = s.find("]]>", i + 9);
        if (end == std::string_view::npos) return "a CDATA section does not end";
        i = end + 3;
        continue;
      }
      if (rest.starts_with("<!") || rest.starts_with("<?"))
        return "a DOCTYPE or processing instruction inside the document";
      const bool closing = rest.starts_with("</");
      std::size_t n = i + (closing ? 2 : 1);
      const std::size_t name_start = n;
      while (n < s.size() && is_name_char(s[n])) ++n;
      const std::string_view name = s.substr(name_start, n - name_start);
      if (name.empty()) return "a '<' that starts no tag";
      const auto gt = s.find('>', n);
      if (gt == std::string_view::npos) return "the document ends inside a tag";
      const std::string_view inside = s.substr(n, gt - n);
      if (!inside.empty() && !is_blank(inside.front()) && inside != "/")
        return "a malformed tag <" + one_line(std::string(name), 40) + ">";
      if (inside.find('<') != std::string_view::npos) return "a '<' inside a tag";
      const bool self_closing = !closing && inside.ends_with("/");
      if (closing) {
        if (stack.empty() || stack.back() != name)
          return "</" + one_line(std::string(name), 40) + "> does not close the open element";
        const std::string_view text = text_start == std::string_view::npos
                                          ? std::string_view{}
                                          : s.substr(text_start, i - text_start);
        if (stack.size() == 2 && name == "IsTruncated") truncated_text = xml_decode(text);
        if (stack.size() == 2 && name == "NextContinuationToken")
          page.next_token = xml_decode(text);
        if (stack.size() == 2 && name == "KeyCount") count_text = xml_decode(text);
        if (stack.size() == 2 && name == "Prefix") page.prefix = xml_decode(text);
        if (stack.size() == 3 && name == "Key" && stack[1] == "Contents") {
          std::string key = xml_decode(text);
          if (key.empty()) return "a <Contents> with an empty <Key>";
          page.keys.push_back(std::move(key));
          ++keys_in_contents;
        }
        if (stack.size() == 2 && name == "Contents") {
          if (keys_in_contents != 1) return "a <Contents> without exactly one <Key>";
          ++contents;
        }
        stack.pop_back();
        text_start = std::string_view::npos;
        if (stack.empty()) root_closed = true;
        i = gt + 1;
        continue;
      }
      if (root_closed) return "a second root element <" + one_line(std::string(name), 40) + ">";
      if (stack.empty()) {
        if (name != "ListBucketResult")
          return "the root element is <" + one_line(std::string(name), 40) +
                 ">, not <ListBucketResult>";
        root_seen = true;
      }
      if (stack.size() == 1) {
        truncated_seen += name == "IsTruncated";
        token_seen += name == "NextContinuationToken";
        count_seen += name == "KeyCount";
        prefix_seen += name == "Prefix";
        if (name == "Prefix" && self_closing) page.prefix = "";
        if (name == "Contents") keys_in_contents = 0;
      }
      if (!self_closing) {
        if (stack.size() >= k_max_depth) return "elements nested too deep";
        stack.push_back(name);
        text_start = gt + 1;
      } else if (stack.size() == 1 && name == "Contents") {
        return "a <Contents> without exactly one <Key>";
      }
      if (self_closing && stack.empty()) root_closed = true;
      i = gt + 1;
    }
    if (!root_seen) return "no <ListBucketResult> element";
    if (!stack.empty()) return "the document ends inside <" + std::string(stack.back()) + ">";
    if (truncated_seen != 1 || (truncated_text != "true" && truncated_text != "false"))
      return "no single <IsTruncated> of true or false";
    page.truncated = truncated_text == "true";
    if (token_seen > 1) return "more than one <NextContinuationToken>";
    if (page.truncated && page.next_token.empty())
      return "truncated but has no NextContinuationToken: the listing cannot go on";
    if (!page.truncated && token_seen) return "not truncated, yet it has a NextContinuationToken";
    if (count_seen > 1) return "more than one <KeyCount>";
    if (prefix_seen > 1) return "more than one <Prefix>";
    if (count_seen && count_text != std::to_string(contents))
      return "<KeyCount> " + one_line(count_text, 20) + " but " + std::to_string(contents) +
             " <Contents>";
    return "";
  }

 private:
  std::string_view m_xml;
};

}  // namespace

Expected<ListPage> parse_list_page(std::string_view xml) {
  ListPage page;
  const std::string why = PageReader(xml).read(page);
  if (!why.empty())
    return Failure{FailureReason::parse,
                   "the answer is not a ListObjectsV2 page we can trust (" + why + "; it starts " +
                       one_line(std::string(xml.substr(0, 60)), 60) + "): nothing is uploaded"};
  return page;
}

std::string page_outside_prefix(const ListPage& page, const std::string& requested) {
  if (page.prefix && *page.prefix != requested)
    return "the page is the listing of prefix \"" + one_line(*page.prefix, 200) +
           "\", not of the requested prefix \"" + one_line(requested, 200) + "\"";
  for (const auto& key : page.keys)
    if (!key.starts_with(requested))
      return "the page lists the key \"" + one_line(key, 200) +
             "\", outside the requested prefix \"" + one_line(requested, 200) + "\"";
  return "";
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
