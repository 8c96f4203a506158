// Reads one JSON request per line and prints the SigV4 Authorization our signer computes, so
// that test_sigv4_botocore.py can compare it with botocore's own signer.
#include <simdjson.h>

#include <iostream>
#include <string>

#include "exporter/aws/sigv4.hpp"

int main() {
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(std::cin, line)) {
    simdjson::dom::element j = parser.parse(line);
    kci::aws::RequestToSign r;
    r.method = std::string(std::string_view(j["method"]));
    std::string raw_path{std::string_view(j["path"])};
    r.canonical_path = kci::aws::uri_encode(raw_path, false);
    for (auto q : j["query"].get_array()) {
      auto a = q.get_array();
      r.query.emplace_back(std::string(std::string_view(a.at(0))),
                           std::string(std::string_view(a.at(1))));
    }
    for (auto h : j["headers"].get_array()) {
      auto a = h.get_array();
      r.headers.emplace_back(std::string(std::string_view(a.at(0))),
                             std::string(std::string_view(a.at(1))));
    }
    r.payload_sha256_hex = kci::aws::sha256_hex(std::string_view(j["payload"]));
    kci::aws::Credentials c{std::string(std::string_view(j["access"])),
                            std::string(std::string_view(j["secret"])),
                            "",
                            {}};
    std::cout << kci::aws::authorization(r, c, std::string_view(j["region"]),
                                         std::string_view(j["service"]),
                                         std::string_view(j["amz_date"]))
              << "\n";
  }
  return 0;
}
