// AWS Signature Version 4 (HMAC-SHA256 via OpenSSL) for the DynamoDB backend's
// requests. Pure functions: the caller supplies the time, so the published AWS
// test vectors reproduce exactly.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tp::transport {

struct aws_credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token{};  // temporary credentials only (x-amz-security-token)
};

struct sigv4_request {
  std::string method = "POST";
  std::string path = "/";  // already URI-encoded
  std::string query{};     // already URI-encoded "a=1&b=2" (sorted while signing)
  // Header names in any case; "host" must be among them. Signed: all of them.
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string payload{};
};

struct sigv4_scope {
  std::string region;
  std::string service;
};

// "20150830T123600Z" for a UTC time.
std::string amz_date(std::chrono::system_clock::time_point t);

// Lower-case hex SHA-256 of data.
std::string sha256_hex_of(std::string_view data);

// The steps of the algorithm, exposed for the test vectors.
std::string canonical_request(const sigv4_request& r);
std::string string_to_sign(const sigv4_request& r, const sigv4_scope& scope,
                           std::string_view amz_datetime);
// The derived key kSigning, raw bytes.
std::string signing_key(std::string_view secret_key, std::string_view date,
                        const sigv4_scope& scope);

// The value of the Authorization header. The request must already carry the
// X-Amz-Date header (= amz_datetime) and, with a session token, X-Amz-Security-Token.
std::string sigv4_authorization(const sigv4_request& r, const aws_credentials& creds,
                                const sigv4_scope& scope, std::string_view amz_datetime);

// Adds X-Amz-Date (and X-Amz-Security-Token) and Authorization to r.headers.
void sigv4_sign(sigv4_request& r, const aws_credentials& creds, const sigv4_scope& scope,
                std::chrono::system_clock::time_point now);

}  // namespace tp::transport
