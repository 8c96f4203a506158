// The region s3-export sends AWS requests to: AWS_REGION, AWS_DEFAULT_REGION, the ARN's; an
// empty variable is unset; a value that cannot be a host label is refused.
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

#include "exporter/app/s3_export_mode.hpp"
#include "exporter/util/result.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::env_of;

namespace {

std::string error_of(std::map<std::string, std::string> vars) {
  try {
    aws_request_region(env_of(std::move(vars)), "eu-west-1");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// A Helm value rendered "" must not give the hosts sts..amazonaws.com (s3_export_mode.hpp).
TEST_CASE("s3-export: the AWS request region; an empty AWS_REGION is unset") {
  CHECK(aws_request_region(env_of({}), "eu-west-1") == "eu-west-1");
  CHECK(aws_request_region(env_of({{"AWS_REGION", "us-east-2"}}), "eu-west-1") == "us-east-2");
  CHECK(aws_request_region(env_of({{"AWS_DEFAULT_REGION", "ap-south-1"}}), "eu-west-1") ==
        "ap-south-1");
  CHECK(aws_request_region(
            env_of({{"AWS_REGION", "us-east-2"}, {"AWS_DEFAULT_REGION", "ap-south-1"}}),
            "eu-west-1") == "us-east-2");
  // Set but empty (a Helm value rendered ""): as if unset, not the region "".
  CHECK(aws_request_region(env_of({{"AWS_REGION", ""}}), "eu-west-1") == "eu-west-1");
  CHECK(aws_request_region(env_of({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", ""}}), "eu-west-1") ==
        "eu-west-1");
  CHECK(aws_request_region(env_of({{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "ap-south-1"}}),
                           "eu-west-1") == "ap-south-1");
}

TEST_CASE("s3-export: an AWS_REGION that cannot be part of a host name is refused") {
  CHECK(error_of({{"AWS_REGION", "us-east-1/x"}}) ==
        "AWS_REGION: invalid value \"us-east-1/x\": not an AWS region name (1-63 of A-Z a-z 0-9 "
        "-)");
  CHECK(error_of({{"AWS_DEFAULT_REGION", "evil.example.com"}}) ==
        "AWS_DEFAULT_REGION: invalid value \"evil.example.com\": not an AWS region name (1-63 of "
        "A-Z a-z 0-9 -)");
  CHECK(error_of({{"AWS_REGION", "-us"}}).starts_with("AWS_REGION: invalid value \"-us\""));
  CHECK(error_of({{"AWS_REGION", " us-east-1"}}).starts_with("AWS_REGION: invalid value"));
  CHECK(error_of({{"AWS_REGION", "local"}}).empty());  // botocore takes it; so do we
}
