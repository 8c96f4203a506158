#pragma once
// Where an HTTP peer is and how to talk to it: deadlines, retries, TLS trust, credentials (a
// bearer token, basic auth, extra headers; all from files) and a cap on what it may send. Plain
// data; HttpClient gives it meaning.
#include <chrono>
#include <cstdint>
#include <string>

namespace kci {

struct HttpEndpoint {
  std::string url;  // http(s)://host[:port][/path-prefix]
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{60'000};  // whole request, body included
  // 0: the client waits at most request_timeout for the whole answer. Above 0: the longest wait
  // for the next bytes of the answer (its first byte included), like the read timeout of
  // Python requests (https://requests.readthedocs.io/en/latest/user/advanced/#timeouts: "the
  // number of seconds the client will wait for the server to send a response", between bytes);
  // an answer that keeps arriving is not cut by it, and request_timeout is then the hard cap on
  // the whole request.
  std::chrono::milliseconds idle_timeout{0};
  std::string request_timeout_name = "kubecostTimeout";  // how failures name the settings
  std::string idle_timeout_name;
  int retries = 2;  // extra attempts on timeout/connect/5xx
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string bearer_token_file;  // re-read on every request so rotated tokens are picked up
  // Behind an ingress or auth proxy (http/request_credentials.hpp); files re-read per request.
  std::string headers_file;                       // "Name: value" lines
  std::string basic_auth_username;                // with basic_auth_password_file
  std::string basic_auth_password_file;           // the password, one line
  std::uint64_t max_response_bytes = 4ULL << 30;  // decompressed; streamed, so not a memory bound
  std::string bearer_token;  // inline token (a kubeconfig's user.token); the file wins
  std::string size_setting = "kubecostMaxResponseBytes";  // named in size errors
};

}  // namespace kci
