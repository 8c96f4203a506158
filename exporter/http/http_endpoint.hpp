#pragma once
// Where an HTTP peer is and how to talk to it: deadlines, retries, TLS trust, a bearer token
// and a cap on what it may send. Plain data; HttpClient gives it meaning.
#include <chrono>
#include <cstdint>
#include <string>

namespace kci {

struct HttpEndpoint {
  std::string url;  // http(s)://host[:port][/path-prefix]
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{60'000};  // whole request, body included
  int retries = 2;                                    // extra attempts on timeout/connect/5xx
  std::string ca_file;
  bool insecure_skip_verify = false;
  std::string bearer_token_file;  // re-read on every request so rotated tokens are picked up
  std::string bearer_token;       // inline token (a kubeconfig's user.token); the file wins
  std::uint64_t max_response_bytes = 512ULL << 20;
  // The settings named in timeout and size errors.
  std::string timeout_setting = "kubecostTimeout";
  std::string size_setting = "kubecostMaxResponseBytes";
};

}  // namespace kci
