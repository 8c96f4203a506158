#include "exporter/aws/s3_write_answers.hpp"

#include "exporter/aws/aws_response.hpp"

namespace kci::aws {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string complete_result_problem(std::string_view body, const std::string& key) {
  constexpr std::string_view root = "<CompleteMultipartUploadResult";
  constexpr std::string_view root_end = "</CompleteMultipartUploadResult>";
  std::string_view s = body;
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  s = trim_blanks(s);
  if (s.empty()) return "the body is empty";
  if (s.starts_with("<?xml")) {
    const auto end = s.find("?>");
    if (end == std::string_view::npos) return "the XML declaration does not end";
    s = trim_blanks(s.substr(end + 2));
  }
  const bool root_open = s.starts_with(root) && s.size() > root.size() &&
                         (s[root.size()] == '>' || is_blank(s[root.size()]));
  if (!root_open) return "the root element is not <CompleteMultipartUploadResult>";
  if (!s.ends_with(root_end))
    return "the document does not end with </CompleteMultipartUploadResult>";
  const auto keys = xml_values(s, "Key");
  if (keys.size() != 1) return "the result does not hold exactly one <Key>";
  if (keys[0] != key) return "the result's <Key> is another key";
  const auto buckets = xml_values(s, "Bucket");
  if (buckets.size() != 1 || buckets[0].empty()) return "the result has no single <Bucket>";
  const auto etags = xml_values(s, "ETag");
  if (etags.size() != 1 || etags[0].empty()) return "the result has no single <ETag>";
  return "";
}

}  // namespace kci::aws
