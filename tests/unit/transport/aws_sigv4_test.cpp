#include "transport/aws_sigv4.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace tp::transport;

namespace {

// The AWS Signature Version 4 test suite's credentials, scope and time.
const aws_credentials suite_creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
const sigv4_scope suite_scope{"us-east-1", "service"};
constexpr const char* suite_time = "20150830T123600Z";

sigv4_request suite_request(std::string method, std::string query = "") {
  sigv4_request r;
  r.method = std::move(method);
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", suite_time}};
  return r;
}

std::string signature_of(const std::string& authorization) {
  const auto at = authorization.find("Signature=");
  return at == std::string::npos ? "" : authorization.substr(at + 10);
}

}  // namespace

TEST_CASE("sigv4: the AWS test suite's get-vanilla", "[sigv4]") {
  const auto r = suite_request("GET");
  CHECK(canonical_request(r) ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(string_to_sign(r, suite_scope, suite_time) ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(sigv4_authorization(r, suite_creds, suite_scope, suite_time) ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: the AWS test suite's post-vanilla and query order", "[sigv4]") {
  CHECK(signature_of(
            sigv4_authorization(suite_request("POST"), suite_creds, suite_scope, suite_time)) ==
        "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  // get-vanilla-query-order-key-case: parameters are signed in sorted order.
  CHECK(signature_of(sigv4_authorization(suite_request("GET", "Param2=value2&Param1=value1"),
                                         suite_creds, suite_scope, suite_time)) ==
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4: the documented signing key derivation", "[sigv4]") {
  // AWS General Reference, "Calculate the signature": iam, 2015-08-30.
  const auto key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                               sigv4_scope{"us-east-1", "iam"});
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : key) {
    hex.push_back(digits[c >> 4]);
    hex.push_back(digits[c & 0xf]);
  }
  CHECK(hex == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST_CASE("sigv4: Amazon S3's documented GET Object example", "[sigv4]") {
  // S3 API Reference, "Signature Calculations for the Authorization Header": header
  // values are trimmed, names lower-cased and sorted.
  sigv4_request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {
      {"Host", "examplebucket.s3.amazonaws.com"},
      {"Range", "bytes=0-9 "},
      {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"x-amz-date", " 20130524T000000Z"}};
  const aws_credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
  const sigv4_scope scope{"us-east-1", "s3"};
  CHECK(string_to_sign(r, scope, "20130524T000000Z") ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(sigv4_authorization(r, creds, scope, "20130524T000000Z") ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: sign adds the date, token and authorization headers", "[sigv4]") {
  sigv4_request r;
  r.headers = {{"Host", "dynamodb.eu-west-1.amazonaws.com"},
               {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  r.payload = "{}";
  const auto t = std::chrono::system_clock::time_point{std::chrono::seconds{1440938160}};
  CHECK(amz_date(t) == suite_time);
  aws_credentials creds = suite_creds;
  creds.session_token = "session-token";
  sigv4_sign(r, creds, sigv4_scope{"eu-west-1", "dynamodb"}, t);
  REQUIRE(r.headers.size() == 5);
  CHECK(r.headers[2] == std::pair<std::string, std::string>{"X-Amz-Date", suite_time});
  CHECK(r.headers[3].first == "X-Amz-Security-Token");
  CHECK(r.headers[4].first == "Authorization");
  CHECK_THAT(r.headers[4].second,
             Catch::Contains("SignedHeaders=host;x-amz-date;x-amz-security-token;x-amz-target"));
  // The token is signed: a different one gives a different signature.
  sigv4_request other = r;
  other.headers.resize(2);
  creds.session_token = "other-token";
  sigv4_sign(other, creds, sigv4_scope{"eu-west-1", "dynamodb"}, t);
  CHECK(signature_of(other.headers[4].second) != signature_of(r.headers[4].second));
}
