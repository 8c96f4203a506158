// Credentials that would inject a header are refused where they come from: the environment,
// an STS answer (raw CR/LF or as character references), the Pod Identity agent.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <map>

#include "exporter/aws/credentials.hpp"
#include "local_http_server.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::env_of;
using namespace kci::aws;
using namespace std::chrono_literals;
using kci::test::LocalServer;

namespace {

std::string sts_answer(const std::string& token) {
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
         "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>sec</SecretAccessKey>"
         "<SessionToken>" +
         token +
         "</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
         "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
}

}  // namespace

TEST_CASE("credentials: check_credentials names the field, never the value") {
  CHECK(check_credentials({"AKID", "secret", "token", {}}, "src").ok());
  CHECK(check_credentials({"AKID", "se/cr+et=", "", {}}, "src").ok());
  auto bad = check_credentials({"AKID", "secret", "tok\r\nX-Injected: 1", {}}, "sts:AssumeRole r");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().reason == FailureReason::credentials);
  CHECK(bad.failure().message ==
        "sts:AssumeRole r: the SessionToken holds a control character (CR, LF, ...): refused, it "
        "would inject a header into signed requests");
  CHECK_FALSE(check_credentials({"AK\nID", "s", "", {}}, "x").ok());
  CHECK_FALSE(check_credentials({"AKID", std::string("s\0", 2), "", {}}, "x").ok());
}

TEST_CASE("credentials: environment keys with CR/LF are refused") {
  Client client(Endpoints{"us-east-1", "", "", ""}, ClientOptions{});
  CredentialChain chain(client,
                        env_of({{"AWS_ACCESS_KEY_ID", "AKID"},
                                {"AWS_SECRET_ACCESS_KEY", "secret"},
                                {"AWS_SESSION_TOKEN", "tok\r\nX-Injected: 1"}}),
                        "");
  auto c = chain.get();
  REQUIRE_FALSE(c.ok());
  CHECK(
      c.failure().message.starts_with("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/"
                                      "AWS_SESSION_TOKEN: the SessionToken holds a control"));
}

TEST_CASE("credentials: an STS SessionToken with CR/LF, raw or as &#13;&#10;, is refused") {
  std::string answer;
  LocalServer s;
  s.server.Post("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(answer, "text/xml");
  });
  s.start();
  char path[] = "/tmp/kci-web-token-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(write(fd, "web-token\n", 10) == 10);
  close(fd);
  const std::string sts = "http://127.0.0.1:" + std::to_string(s.port);
  for (const std::string token : {"tok\r\nX-Injected: yes", "tok&#13;&#10;X-Injected: yes"}) {
    INFO(token);
    answer = sts_answer(token);
    Client client(Endpoints{"us-east-1", "", sts, ""}, ClientOptions{});
    CredentialChain chain(client,
                          env_of({{"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/r"},
                                  {"AWS_WEB_IDENTITY_TOKEN_FILE", path}}),
                          "");
    auto c = chain.get();
    REQUIRE_FALSE(c.ok());
    CHECK(c.failure().reason == FailureReason::credentials);
    CHECK(c.failure().message ==
          "sts:AssumeRoleWithWebIdentity arn:aws:iam::111122223333:role/r: the SessionToken "
          "holds a control character (CR, LF, ...): refused, it would inject a header into "
          "signed requests");
  }
  answer = sts_answer("clean-token");
  Client client(Endpoints{"us-east-1", "", sts, ""}, ClientOptions{});
  CredentialChain chain(client,
                        env_of({{"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/r"},
                                {"AWS_WEB_IDENTITY_TOKEN_FILE", path}}),
                        "");
  auto c = chain.get();
  REQUIRE(c.ok());
  CHECK(c.value().session_token == "clean-token");
  std::remove(path);
}

TEST_CASE("credentials: a 200 <Error> from STS is its error, not 'no credentials'") {
  LocalServer s;
  s.server.Post("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content("<Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>",
                    "text/xml");
  });
  s.start();
  char path[] = "/tmp/kci-web-token-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(write(fd, "t", 1) == 1);
  close(fd);
  Client client(Endpoints{"us-east-1", "", "http://127.0.0.1:" + std::to_string(s.port), ""},
                ClientOptions{});
  CredentialChain chain(
      client,
      env_of({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}, {"AWS_WEB_IDENTITY_TOKEN_FILE", path}}),
      "");
  auto c = chain.get();
  REQUIRE_FALSE(c.ok());
  CHECK(c.failure().reason == FailureReason::aws);
  CHECK(
      c.failure().message ==
      "sts:AssumeRoleWithWebIdentity arn:aws:iam::1:role/r: Throttling: Rate exceeded (HTTP 200)");
  std::remove(path);
}

TEST_CASE("credentials: the Pod Identity token goes only to container endpoints and loopback") {
  for (const char* ok :
       {"http://169.254.170.2/v2/credentials", "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials", "http://[FD00:EC2:0:0::23]:80/x",
        "http://127.0.0.1:8080/creds", "http://127.1.2.3/creds", "https://localhost/creds",
        "http://LOCALHOST:1/x", "http://[::1]:9/creds", "http://user:pw@127.0.0.1/creds"})
    CHECK(container_credentials_host_allowed(ok));
  for (const char* refused :
       {"http://169.254.170.3/creds", "http://10.0.0.1/creds", "http://evil.example/creds",
        "http://127.0.0.1.evil.example/creds", "http://localhost.evil.example/creds",
        "http://127.0.0.1@evil.example/creds", "ftp://127.0.0.1/creds", "127.0.0.1/creds",
        "http://[fd00:ec2::24]/creds", "http://[::ffff:10.0.0.1]/creds", "http://[::1/creds",
        "http:///creds"})
    CHECK_FALSE(container_credentials_host_allowed(refused));

  // The chain refuses such a URI before anything is sent: the token stays here. (An IPv4-mapped
  // loopback is refused by the check; were it not, the request would stay on loopback and
  // fail as `connect`, never as this.)
  Client client(Endpoints{"us-east-1", "", "", ""}, ClientOptions{});
  CredentialChain chain(
      client, env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::ffff:127.0.0.1]:1/creds"}}),
      "");
  auto c = chain.get();
  REQUIRE_FALSE(c.ok());
  CHECK(c.failure().reason == FailureReason::credentials);
  CHECK(c.failure().message.find("AWS_CONTAINER_CREDENTIALS_FULL_URI: ") == 0);
  CHECK(c.failure().message.find("the host is not a container credential endpoint") !=
        std::string::npos);
}

TEST_CASE("credentials: token files are bounded reads; a device is refused, not read") {
  Client client(Endpoints{"us-east-1", "", "", ""}, ClientOptions{});
  CredentialChain irsa(client,
                       env_of({{"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/r"},
                               {"AWS_WEB_IDENTITY_TOKEN_FILE", "/dev/zero"}}),
                       "");
  auto c = irsa.get();
  REQUIRE_FALSE(c.ok());
  CHECK(c.failure().reason == FailureReason::credentials);
  CHECK(c.failure().message == "AWS_WEB_IDENTITY_TOKEN_FILE: \"/dev/zero\" is not a regular file");
  CredentialChain pod(client,
                      env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"},
                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/dev/zero"}}),
                      "");
  auto p = pod.get();
  REQUIRE_FALSE(p.ok());
  CHECK(p.failure().message ==
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: \"/dev/zero\" is not a regular file");
}

TEST_CASE("credentials: the Pod Identity URI's userinfo never reaches an error") {
  LocalServer s;
  s.server.Get("/creds", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content(R"({"code":"AccessDeniedException","message":"bad token"})",
                    "application/json");
  });
  s.start();
  Client client(Endpoints{"us-east-1", "", "", ""}, ClientOptions{});
  const std::string uri =
      "http://agent:pod-secret-pw@127.0.0.1:" + std::to_string(s.port) + "/creds";
  CredentialChain chain(client, env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri}}), "");
  auto c = chain.get();
  REQUIRE_FALSE(c.ok());
  CHECK(c.failure().message ==
        "EKS Pod Identity http://REDACTED@127.0.0.1:" + std::to_string(s.port) +
            "/creds: AccessDeniedException: bad token (HTTP 401)");
}
