#pragma once
// An AWS answer as the callers see it (status, body, ETag) and the ways they read it: the
// one-line error of an XML (S3, STS) or JSON (Secrets Manager, Pod Identity) error body, whether
// a 200 is really an error, and the texts of an XML element. No XML parser: the answers we read
// are flat and the tags we ask for are unique leaf elements, so a tag search is enough and
// cannot be tricked into fetching anything (no DTDs, no external entities). Every function here
// is linear in the size of the body (answers are capped at Client's max_response_bytes).
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kci::aws {

struct Response {
  int status = 0;
  std::string body;
  std::string etag;
  std::string bucket_region;  // S3's x-amz-bucket-region header, "" when absent
};

// "<Code>: <Message> (HTTP <status>)" from an AWS error body, or the status and the start of
// the body. Always one line.
std::string error_line(const Response& response);

// True when the body is an S3 error document (its root element is <Error>, after an optional
// XML declaration). S3 documents that CompleteMultipartUpload (and the copy calls) can answer
// 200 OK with such a body, when the failure happens after the status was sent: "Amazon S3 API
// Reference: CompleteMultipartUpload" and "Error responses", https://docs.aws.amazon.com/
// AmazonS3/latest/API/API_CompleteMultipartUpload.html. We treat every S3 answer so.
bool is_error_document(std::string_view body);

// The error of an answer that should have one of the `ok` statuses: its error_line when the
// status is another one or the body is an error document, else "".
std::string answer_error(const Response& response, std::initializer_list<int> ok = {200});

// Inner texts of every <tag>...</tag> in an XML document, with the five predefined entities
// (&amp; &lt; &gt; &quot; &apos;) and character references (&#NN; &#xHH;, as UTF-8) decoded.
// Anything else after '&' is kept as written. Linear: an entity is looked for only within the
// longest one's length, so a run of '&' without ';' costs no rescans.
std::vector<std::string> xml_values(std::string_view xml, std::string_view tag);

// The entity decoding of xml_values on one text.
std::string xml_decode(std::string_view text);

}  // namespace kci::aws
