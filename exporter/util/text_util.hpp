#pragma once
// Small text helpers shared by the HTTP, AWS and time code.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kci {

// RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - _ . ~) pass, and '/' too when
// keep_slash; everything else becomes %XX (upper-case hex), as SigV4 and Kubecost queries want.
std::string percent_encode(std::string_view s, bool keep_slash);

// RFC 9110 section 5.6.2: a token (an HTTP field name): one or more of ALPHA, DIGIT and
// !#$%&'*+-.^_`|~.
bool is_http_token(std::string_view s);

// Equal but for ASCII case (HTTP field names, content codings).
bool iequals_ascii(std::string_view a, std::string_view b);

// At most `max` characters on one line (newlines, tabs and every other control byte become
// spaces), "..." when cut.
std::string one_line(std::string_view s, std::size_t max = 200);

// Unix seconds as UTC text with a strftime format ("%Y-%m-%dT%H:%M:%SZ" by default).
std::string format_utc(std::int64_t unix_seconds, const char* format = "%Y-%m-%dT%H:%M:%SZ");

// Kubernetes label key to the Prometheus-sanitised spelling Kubecost uses
// ("app.kubernetes.io/name" -> "app_kubernetes_io_name").
std::string sanitize_label_name(std::string_view key);

// The URL for logs, error messages and the info metric: any userinfo ("user:password@") in the
// authority becomes "REDACTED@", with or without a scheme ("user:pw@host:9000" too) and also
// when the password holds an unencoded '@' (the authority ends at the first '/', '?' or '#'; its
// last '@' ends the userinfo). The values of the query parameters that carry a presigned
// request's secrets (X-Amz-Signature, X-Amz-Security-Token, X-Amz-Credential) become REDACTED.
std::string redact_url(const std::string& url);

// `text` with every occurrence of each of `secrets` (the credentials a request sent: tokens,
// passwords, header values) replaced by "<redacted>", for a peer's answer that is quoted in a
// message (an error page reflecting the request's headers). A non-empty secret shorter than 4
// characters cannot be told from ordinary text: the whole text is then "<withheld>".
std::string redact_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace kci
