#pragma once
// What a 200 to an S3 write must hold before s3-export counts the object as stored. A 200 alone
// is not enough:
//  - CompleteMultipartUpload "could fail after the initial 200 OK response has been sent. This
//    means that a 200 OK response can contain either a success or an error. [...] Amazon S3
//    periodically sends white space characters to keep the connection from timing out" ("Amazon
//    S3 API Reference: CompleteMultipartUpload", https://docs.aws.amazon.com/AmazonS3/latest/
//    API/API_CompleteMultipartUpload.html). botocore treats a 200 whose body is an <Error> or is
//    not XML at all (a cut answer) as a 500 (botocore handlers.py _handle_200_error,
//    _looks_like_special_case_error). We are stricter: only a whole
//    <CompleteMultipartUploadResult> document (Response Syntax, same page) naming the key we
//    uploaded, with a <Bucket> and an <ETag>, is a success; an empty or blank body (the
//    keep-alive spaces of an answer cut short), an HTML page (a proxy's), another document, a
//    result cut short or naming another key is not.
//  - PutObject and UploadPart answer the object's or part's ETag header on success ("Amazon S3
//    API Reference: PutObject" / "UploadPart", Response Syntax, https://docs.aws.amazon.com/
//    AmazonS3/latest/API/API_PutObject.html): a 200 without one did not come from S3 storing
//    the bytes.
// The descriptions are fixed texts: nothing of the answer's body is repeated.
#include <string>
#include <string_view>

namespace kci::aws {

// "" when `body` is a CompleteMultipartUploadResult document for `key`: after an optional byte
// order mark, blanks and XML declaration, the root element is <CompleteMultipartUploadResult>
// (attributes such as xmlns allowed), the document ends with its closing tag (then only blanks),
// and it holds exactly one <Key>, whose decoded text is `key`, one non-empty <Bucket> and one
// non-empty <ETag>. Else a fixed description of what is wrong. Linear in the size of the body.
std::string complete_result_problem(std::string_view body, const std::string& key);

}  // namespace kci::aws
