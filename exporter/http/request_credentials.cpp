#include "exporter/http/request_credentials.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "exporter/util/file_reader.hpp"
#include "exporter/util/result.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::size_t k_max_headers = 64;

// RFC 7230 section 3.2: field-content is VCHAR, obs-text, SP and HTAB.
bool is_field_byte(unsigned char c) { return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string lower_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool client_owned(const std::string& lower_name) {
  static constexpr std::array<std::string_view, 11> owned = {
      "host",    "content-length", "transfer-encoding", "connection", "keep-alive",     "te",
      "trailer", "upgrade",        "proxy-connection",  "accept",     "accept-encoding"};
  return std::find(owned.begin(), owned.end(), lower_name) != owned.end();
}

}  // namespace

std::vector<RequestHeader> parse_headers_text(const std::string& text, const std::string& path,
                                              bool authorization_taken) {
  std::vector<RequestHeader> out;
  std::vector<std::string> seen;  // lower-case names
  std::size_t pos = 0;
  for (std::size_t line_no = 1; pos <= text.size(); ++line_no) {
    std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::string where =
        "kubecostHeadersFile: \"" + path + "\" line " + std::to_string(line_no) + ": ";
    if (line.find('\r') != std::string::npos)
      throw ConfigError(where + "holds a CR (use LF line ends)");
    const auto first = std::find_if_not(line.begin(), line.end(), is_blank);
    if (first == line.end() || *first == '#') continue;
    const auto name_start = static_cast<std::size_t>(first - line.begin());
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos)
      throw ConfigError(where + "expected \"Name: value\" (no ':' on the line)");
    const std::string name = line.substr(name_start, colon - name_start);
    if (name.empty()) throw ConfigError(where + "the header name is empty");
    if (!is_http_token(name)) throw ConfigError(where + "the header name is not an RFC 7230 token");
    std::string value = line.substr(colon + 1);
    if (!std::all_of(value.begin(), value.end(),
                     [](char c) { return is_field_byte(static_cast<unsigned char>(c)); }))
      throw ConfigError(where + "the value of \"" + name + "\" holds a control byte");
    const auto b = std::find_if_not(value.begin(), value.end(), is_blank) - value.begin();
    value.erase(0, static_cast<std::size_t>(b));
    while (!value.empty() && is_blank(value.back())) value.pop_back();
    if (value.empty()) throw ConfigError(where + "the value of \"" + name + "\" is empty");
    const std::string key = lower_ascii(name);
    if (client_owned(key))
      throw ConfigError(where + "\"" + name + "\" is set by the exporter and cannot be overridden");
    if (key == "authorization" && authorization_taken)
      throw ConfigError(where +
                        "\"Authorization\" conflicts with kubecostBearerTokenFile or "
                        "kubecostBasicAuthUsername; configure one of them");
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      throw ConfigError(where + "\"" + name +
                        "\" is listed twice (combine the values on one line)");
    if (out.size() == k_max_headers)
      throw ConfigError(where + "more than " + std::to_string(k_max_headers) + " headers");
    seen.push_back(key);
    out.push_back({name, std::move(value)});
  }
  return out;
}

std::vector<RequestHeader> read_headers_file(const std::string& path, bool authorization_taken) {
  return parse_headers_text(read_config_file("kubecostHeadersFile", path), path,
                            authorization_taken);
}

std::string read_password_file(const std::string& path) {
  std::string password = read_config_file("kubecostBasicAuthPasswordFile", path);
  if (!password.empty() && password.back() == '\n') password.pop_back();
  const std::string where = "kubecostBasicAuthPasswordFile: \"" + path + "\"";
  if (password.empty()) throw ConfigError(where + " holds an empty password");
  if (!std::all_of(password.begin(), password.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
      }))
    throw ConfigError(where + ": the password holds a CR, LF or control byte");
  return password;
}

std::string basic_authorization(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()),
                                static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

}  // namespace kci
