#pragma once
// AWS Signature Version 4
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
// with OpenSSL's SHA-256 and HMAC.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kci::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // "" for long-term keys
  std::optional<std::time_t> expiration;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct RequestToSign {
  std::string method;
  std::string canonical_path;  // URI-encoded as sent ("/bucket/a%20b"); S3 paths are encoded once
  Pairs query;                 // raw (not encoded) names and values
  Pairs headers;               // every header that is sent and signed, `host` included
  std::string payload_sha256_hex;  // or "UNSIGNED-PAYLOAD"
};

// RFC 3986 encoding as SigV4 wants it: unreserved characters pass, everything else is %XX.
std::string uri_encode(std::string_view s, bool encode_slash);
std::string canonical_query(const Pairs& query);
std::string canonical_request(const RequestToSign& request, std::string& signed_headers);
std::string sha256_hex(std::string_view data);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::time_t t);

// The Authorization header value. `amz_date` must equal the request's x-amz-date header.
std::string authorization(const RequestToSign& request, const Credentials& credentials,
                          std::string_view region, std::string_view service,
                          std::string_view amz_date);

}  // namespace kci::aws
