#pragma once
// What the exporter adds to each Kubecost request when Kubecost sits behind an ingress or an
// auth proxy: extra headers from a file (kubecostHeadersFile, e.g. a SAML/OIDC proxy's
// `Cookie: token=...`) and HTTP basic auth (kubecostBasicAuthUsername plus the password in
// kubecostBasicAuthPasswordFile, the shape of Prometheus' basic_auth.password_file and of a
// mounted kubernetes.io/basic-auth Secret's `password` key). The files are read with
// read_config_file (a regular file, at most 1 MiB) at start-up, to refuse a bad file with exit 2,
// and again before every request, so a rotated Secret is picked up without a restart. No error
// message ever holds a header value or a password.
#include <string>
#include <vector>

namespace kci {

struct RequestHeader {
  std::string name;
  std::string value;
};

// The headers file's format, one header per line:
//   Name: value
// Lines are separated by LF and none may hold a CR (a CRLF file is refused, as is anything that
// could end a header early); a line that is empty or only blanks, or whose first non-blank
// character is '#', is skipped. Blanks before the name are dropped. Name is an RFC 7230 token
// (section 3.2.6: ALPHA, DIGIT and
// !#$%&'*+-.^_`|~) and is followed directly by ':'; blanks (SP, HTAB) around the value are
// dropped. The value must not be empty and may hold only visible ASCII, blanks and bytes >= 0x80
// (RFC 7230 field-content): NUL, DEL or another control byte is refused, so no file can inject
// a second header or a request. Refused names, case-insensitively: the ones
// the client owns or that frame the message (Host, Content-Length, Transfer-Encoding, Connection,
// Keep-Alive, TE, Trailer, Upgrade, Proxy-Connection, Accept, Accept-Encoding), Authorization when
// `authorization_taken` (a bearer token or basic auth is configured) and a name listed twice
// (combine the values on one line, e.g. `Cookie: a=1; b=2`). At most 64 headers.
// Throws ConfigError, one line naming the setting, file and line, never the value (nor a name
// that is not a token: a line whose colon is misplaced may hold a secret before it):
//   kubecostHeadersFile: "<path>" line 3: the header name is not an RFC 7230 token
//   kubecostHeadersFile: "<path>" line 4: holds a CR (use LF line ends)
std::vector<RequestHeader> parse_headers_text(const std::string& text, const std::string& path,
                                              bool authorization_taken);

// read_config_file("kubecostHeadersFile", path) parsed by parse_headers_text.
std::vector<RequestHeader> read_headers_file(const std::string& path, bool authorization_taken);

// The password in kubecostBasicAuthPasswordFile: the whole file, less one trailing "\n" (what
// `echo` and most editors add; a Kubernetes Secret's value has none). Throws ConfigError for an
// empty password and for one holding CR, LF or another control byte:
//   kubecostBasicAuthPasswordFile: "<path>" holds an empty password
//   kubecostBasicAuthPasswordFile: "<path>": the password holds a CR, LF or control byte
std::string read_password_file(const std::string& path);

// "Basic " + base64(user ":" password), RFC 7617.
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace kci
