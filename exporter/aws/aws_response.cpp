#include "exporter/aws/aws_response.hpp"

#include <simdjson.h>

#include <string_view>

#include "exporter/util/text_util.hpp"

namespace kci::aws {

std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (auto p = xml.find(open); p != std::string::npos; p = xml.find(open, p)) {
    auto start = p + open.size();
    auto end = xml.find(close, start);
    if (end == std::string::npos) break;
    std::string v = xml.substr(start, end - start);
    std::string decoded;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '&') {
        auto semi = v.find(';', i);
        std::string ent = semi == std::string::npos ? "" : v.substr(i, semi - i + 1);
        const char* rep = ent == "&amp;"    ? "&"
                          : ent == "&lt;"   ? "<"
                          : ent == "&gt;"   ? ">"
                          : ent == "&quot;" ? "\""
                          : ent == "&apos;" ? "'"
                                            : nullptr;
        if (rep) {
          decoded += rep;
          i = semi;
          continue;
        }
      }
      decoded += v[i];
    }
    out.push_back(std::move(decoded));
    p = end + close.size();
  }
  return out;
}

std::string error_line(const Response& r) {
  auto code = xml_values(r.body, "Code");
  auto message = xml_values(r.body, "Message");
  if (!code.empty())
    return code[0] + (message.empty() ? "" : ": " + one_line(message[0])) + " (HTTP " +
           std::to_string(r.status) + ")";
  // JSON error bodies (Secrets Manager, Pod Identity): {"__type": "...", "message": "..."}
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (!parser.parse(r.body).get(doc)) {
    std::string_view type, msg;
    if (doc["__type"].get(type) && doc["code"].get(type)) type = "";
    if (doc["message"].get(msg) && doc["Message"].get(msg)) msg = "";
    if (!type.empty() || !msg.empty()) {
      auto hash = type.find('#');
      if (hash != std::string_view::npos) type = type.substr(hash + 1);
      return std::string(type) + (msg.empty() ? "" : ": " + one_line(msg)) + " (HTTP " +
             std::to_string(r.status) + ")";
    }
  }
  return "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + one_line(r.body));
}

}  // namespace kci::aws
