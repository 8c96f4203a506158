#include "exporter/aws/aws_response.hpp"

#include <simdjson.h>

#include <cstdint>
#include <optional>

#include "exporter/util/text_util.hpp"

namespace kci::aws {
namespace {

// "&#x10FFFF;" is the longest entity we decode.
constexpr std::size_t k_max_entity = 10;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The code point of a character reference body ("#38", "#x26"), if it is a valid one.
std::optional<std::uint32_t> char_ref(std::string_view name) {
  if (name.size() < 2 || name[0] != '#') return std::nullopt;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  std::string_view digits = name.substr(hex ? 2 : 1);
  if (digits.empty()) return std::nullopt;
  std::uint32_t cp = 0;
  for (char c : digits) {
    int d = c >= '0' && c <= '9'          ? c - '0'
            : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
            : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
    if (d < 0) return std::nullopt;
    cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    if (cp > 0x10FFFF) return std::nullopt;
  }
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return cp;
}

// Appends the decoding of the entity `name` (between '&' and ';'); false when it is none.
bool append_entity(std::string& out, std::string_view name) {
  if (name == "amp")
    out += '&';
  else if (name == "lt")
    out += '<';
  else if (name == "gt")
    out += '>';
  else if (name == "quot")
    out += '"';
  else if (name == "apos")
    out += '\'';
  else if (auto cp = char_ref(name))
    append_utf8(out, *cp);
  else
    return false;
  return true;
}

std::string_view skip_space(std::string_view s) {
  while (!s.empty() && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
    s.remove_prefix(1);
  return s;
}

}  // namespace

std::string xml_decode(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  std::size_t i = 0;
  while (i < v.size()) {
    const std::size_t amp = v.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(v.substr(i));
      break;
    }
    out.append(v.substr(i, amp - i));
    const std::string_view window = v.substr(amp + 1, k_max_entity - 1);
    const std::size_t semi = window.find(';');
    if (semi != std::string_view::npos && append_entity(out, window.substr(0, semi))) {
      i = amp + 1 + semi + 1;
      continue;
    }
    out += '&';
    i = amp + 1;
  }
  return out;
}

std::vector<std::string> xml_values(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  for (auto p = xml.find(open); p != std::string_view::npos; p = xml.find(open, p)) {
    const auto start = p + open.size();
    const auto end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.push_back(xml_decode(xml.substr(start, end - start)));
    p = end + close.size();
  }
  return out;
}

bool is_error_document(std::string_view body) {
  std::string_view s = body;
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);  // a UTF-8 byte order mark
  s = skip_space(s);
  if (s.starts_with("<?xml")) {
    const auto end = s.find("?>");
    if (end == std::string_view::npos) return false;
    s = skip_space(s.substr(end + 2));
  }
  return s.starts_with("<Error>") || s.starts_with("<Error ");
}

std::string answer_error(const Response& r, std::initializer_list<int> ok) {
  bool status_ok = false;
  for (int s : ok) status_ok = status_ok || r.status == s;
  if (status_ok && !is_error_document(r.body)) return "";
  return error_line(r);
}

std::string error_line(const Response& r) {
  auto code = xml_values(r.body, "Code");
  auto message = xml_values(r.body, "Message");
  if (!code.empty())
    return one_line(code[0], 80) + (message.empty() ? "" : ": " + one_line(message[0])) +
           " (HTTP " + std::to_string(r.status) + ")";
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
      return one_line(type, 80) + (msg.empty() ? "" : ": " + one_line(msg)) + " (HTTP " +
             std::to_string(r.status) + ")";
    }
  }
  return "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + one_line(r.body));
}

}  // namespace kci::aws
