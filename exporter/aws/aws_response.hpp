#pragma once
// An AWS answer as the callers see it (status, body, ETag) and the two ways they read it: the
// one-line error of an XML (S3, STS) or JSON (Secrets Manager, Pod Identity) error body, and the
// texts of an XML element. No XML parser: the answers we read are flat and the tags we ask for
// are unique leaf elements, so a tag search is enough and cannot be tricked into fetching
// anything (no DTDs, no external entities).
#include <string>
#include <vector>

namespace kci::aws {

struct Response {
  int status = 0;
  std::string body;
  std::string etag;
};

// "<Code>: <Message> (HTTP <status>)" from an AWS error body, or the status and the start of
// the body. Always one line.
std::string error_line(const Response& response);

// Inner texts of every <tag>...</tag> in an XML document (entities decoded).
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag);

}  // namespace kci::aws
