#include "exporter/util/text_util.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace kci {

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~' || (c == '/' && keep_slash);
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string one_line(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;  // any control byte
  if (s.size() > max) out += "...";
  return out;
}

std::string format_utc(std::int64_t unix_seconds, const char* format) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string sanitize_label_name(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out;
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  // "://" only counts as the scheme's end when nothing before it ends an authority.
  if (scheme != std::string::npos && url.find_first_of("/?#@") < scheme) scheme = std::string::npos;
  const std::size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", host_start), url.size());
  std::string out = url;
  const std::size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at != std::string::npos && at >= host_start && at < authority_end)
    out = url.substr(0, host_start) + "REDACTED" + url.substr(at);

  const std::size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string redacted = out.substr(0, query + 1);
  std::size_t pos = query + 1;
  const std::size_t fragment = std::min(out.find('#', pos), out.size());
  while (pos <= fragment) {
    std::size_t end = std::min(out.find('&', pos), fragment);
    std::string param = out.substr(pos, end - pos);
    std::string name = param.substr(0, param.find('='));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (param.find('=') != std::string::npos &&
        (name == "x-amz-signature" || name == "x-amz-security-token" || name == "x-amz-credential"))
      param = param.substr(0, param.find('=') + 1) + "REDACTED";
    redacted += param;
    if (end == fragment) break;
    redacted += '&';
    pos = end + 1;
  }
  return redacted + out.substr(fragment);
}

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  constexpr std::string_view k_mark = "<redacted>";
  // Longest first: a secret inside another (a password inside its base64) must not leave the
  // rest of the longer one behind.
  std::vector<const std::string*> order;
  order.reserve(secrets.size());
  for (const auto& secret : secrets) order.push_back(&secret);
  std::stable_sort(order.begin(), order.end(), [](const std::string* a, const std::string* b) {
    return a->size() > b->size();
  });
  for (const std::string* secret_ptr : order) {
    const std::string& secret = *secret_ptr;
    if (secret.empty()) continue;
    if (secret.size() < 4) return "<withheld>";
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
      text.replace(at, secret.size(), k_mark);
      at += k_mark.size();
    }
  }
  return text;
}

bool is_http_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace kci
