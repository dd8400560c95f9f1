// The signer against AWS's published values: the SigV4 test suite
// (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html: service
// "service", key AKIDEXAMPLE, 2015-08-30T12:36:00Z) and the S3 examples of
// "Signature Calculations for the Authorization Header: Transferring Payload in
// a Single Chunk" (key AKIAIOSFODNN7EXAMPLE, 2013-05-24T00:00:00Z). Each
// expected value below is the suite's or the page's, copied by hand.
#include "store/s3/sigv4_signer.h"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <string>

namespace scopefs::s3 {
namespace {

std::chrono::system_clock::time_point Utc(int year, int month, int day, int hour, int min,
                                          int sec) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

const auto kSuiteTime = Utc(2015, 8, 30, 12, 36, 0);
const auto kS3Time = Utc(2013, 5, 24, 0, 0, 0);

Sigv4Signer SuiteSigner(std::string session_token = "") {
  return Sigv4Signer(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                 std::move(session_token)),
                     "us-east-1", "service");
}

Sigv4Signer S3DocsSigner() {
  return Sigv4Signer(
      Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "us-east-1",
      "s3");
}

SignableRequest SuiteRequest(std::string method, std::string path,
                             std::vector<HttpField> query = {},
                             std::string host = "example.amazonaws.com") {
  SignableRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.query = std::move(query);
  request.headers = {{"Host", std::move(host)}};
  return request;
}

std::string HeaderValue(const std::vector<HttpField>& headers, const std::string& name) {
  for (const HttpField& header : headers) {
    if (header.name == name) return header.value;
  }
  return "";
}

std::string Authorization(const Sigv4Signer& signer, const SignableRequest& request,
                          std::chrono::system_clock::time_point now) {
  return HeaderValue(signer.Sign(request, now), "Authorization");
}

std::string SignatureOf(const std::string& authorization) {
  const size_t at = authorization.find("Signature=");
  return at == std::string::npos ? "" : authorization.substr(at + 10);
}

std::string SuiteAuthorization(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         signed_headers + ", Signature=" + signature;
}

TEST(Sigv4SuiteTest, GetVanilla) {
  EXPECT_EQ(Authorization(SuiteSigner(), SuiteRequest("GET", "/"), kSuiteTime),
            SuiteAuthorization("host;x-amz-date",
                               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(Sigv4SuiteTest, GetVanillaQueryOrderKeyStepByStep) {
  // GET /?Param1=value2&Param1=Value1: equal names sort by value.
  SignableRequest request = SuiteRequest("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}});
  request.headers.push_back({"X-Amz-Date", "20150830T123600Z"});
  const std::string creq = CanonicalRequest(request);
  EXPECT_EQ(creq,
            "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const Sigv4Signer signer = SuiteSigner();
  EXPECT_EQ(StringToSign("20150830T123600Z", signer.CredentialScope("20150830"), creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89");
  EXPECT_EQ(
      Authorization(signer, SuiteRequest("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}}),
                    kSuiteTime),
      SuiteAuthorization("host;x-amz-date",
                         "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"));
}

TEST(Sigv4SuiteTest, GetVanillaQueryUnreserved) {
  const std::string unreserved =
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(SignatureOf(Authorization(
                SuiteSigner(), SuiteRequest("GET", "/", {{unreserved, unreserved}}), kSuiteTime)),
            "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

TEST(Sigv4SuiteTest, GetVanillaUtf8Query) {
  // The name is U+1234 (three UTF-8 bytes), encoded byte by byte.
  EXPECT_EQ(SignatureOf(Authorization(
                SuiteSigner(), SuiteRequest("GET", "/", {{"\xE1\x88\xB4", "bar"}}), kSuiteTime)),
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST(Sigv4SuiteTest, GetSpaceInPath) {
  EXPECT_EQ(
      SignatureOf(Authorization(SuiteSigner(), SuiteRequest("GET", "/example space/"), kSuiteTime)),
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(Sigv4SuiteTest, PostXWwwFormUrlencodedStepByStep) {
  SignableRequest request = SuiteRequest("POST", "/");
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  request.payload_sha256 = Sha256Hex("Param1=value1");
  SignableRequest with_date = request;
  with_date.headers.push_back({"X-Amz-Date", "20150830T123600Z"});
  const std::string creq = CanonicalRequest(with_date);
  EXPECT_EQ(
      creq,
      "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  const Sigv4Signer signer = SuiteSigner();
  EXPECT_EQ(StringToSign("20150830T123600Z", signer.CredentialScope("20150830"), creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
  EXPECT_EQ(Authorization(signer, request, kSuiteTime),
            SuiteAuthorization("content-type;host;x-amz-date",
                               "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"));
}

TEST(Sigv4SuiteTest, PostStsHeaderBeforeSignsTheSessionToken) {
  const std::string token =
      "AQoDYXdzEPT//////////"
      "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth"
      "Ax7mSEI/"
      "qkPpKPi/"
      "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcH"
      "NVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
      "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
  const std::vector<HttpField> added =
      SuiteSigner(token).Sign(SuiteRequest("POST", "/"), kSuiteTime);
  EXPECT_EQ(HeaderValue(added, "x-amz-security-token"), token);
  EXPECT_EQ(HeaderValue(added, "Authorization"),
            SuiteAuthorization("host;x-amz-date;x-amz-security-token",
                               "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"));
}

TEST(Sigv4SuiteTest, DerivedSigningKey) {
  // The key derivation example of the SigV4 documentation (service iam).
  const Sigv4Signer signer(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                           "us-east-1", "iam");
  EXPECT_EQ(HexEncode(signer.SigningKey("20150830")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

SignableRequest S3DocsRequest(std::string method, std::string path,
                              std::vector<HttpField> query = {}) {
  return SuiteRequest(std::move(method), std::move(path), std::move(query),
                      "examplebucket.s3.amazonaws.com");
}

TEST(Sigv4S3ExamplesTest, GetObjectWithRange) {
  SignableRequest request = S3DocsRequest("GET", "/test.txt");
  request.headers.push_back({"Range", "bytes=0-9"});
  const std::vector<HttpField> added = S3DocsSigner().Sign(request, kS3Time);
  EXPECT_EQ(HeaderValue(added, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(HeaderValue(added, "x-amz-content-sha256"), kEmptySha256);
  EXPECT_EQ(HeaderValue(added, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

  // The page's intermediate values.
  request.headers.push_back({"x-amz-content-sha256", std::string(kEmptySha256)});
  request.headers.push_back({"x-amz-date", "20130524T000000Z"});
  const std::string creq = CanonicalRequest(request);
  EXPECT_EQ(
      creq,
      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign("20130524T000000Z", S3DocsSigner().CredentialScope("20130524"), creq),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(Sigv4S3ExamplesTest, PutObjectWithADollarInTheKey) {
  // PUT /test$file.text: '$' is encoded once, as %24.
  SignableRequest request = S3DocsRequest("PUT", "/test$file.text");
  request.headers.push_back({"Date", "Fri, 24 May 2013 00:00:00 GMT"});
  request.headers.push_back({"x-amz-storage-class", "REDUCED_REDUNDANCY"});
  request.payload_sha256 = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(request.payload_sha256,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  const std::string authorization = Authorization(S3DocsSigner(), request, kS3Time);
  EXPECT_NE(authorization.find(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"),
            std::string::npos)
      << authorization;
  EXPECT_EQ(SignatureOf(authorization),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(Sigv4S3ExamplesTest, GetBucketLifecycleHasAnEmptyValue) {
  // GET /?lifecycle is signed as "lifecycle=".
  EXPECT_EQ(SignatureOf(Authorization(S3DocsSigner(),
                                      S3DocsRequest("GET", "/", {{"lifecycle", ""}}), kS3Time)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(Sigv4S3ExamplesTest, ListObjectsSortsTheQuery) {
  // Given out of order, signed as max-keys=2&prefix=J.
  EXPECT_EQ(SignatureOf(Authorization(
                S3DocsSigner(), S3DocsRequest("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}),
                kS3Time)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(Sigv4SignerTest, CanonicalHeadersTrimFoldAndJoinRepeats) {
  SignableRequest request = SuiteRequest("GET", "/");
  request.headers.push_back({"My-Header1", "  a   b  c  "});
  request.headers.push_back({"my-header2", "x"});
  request.headers.push_back({"MY-HEADER2", "y"});
  EXPECT_EQ(CanonicalRequest(request),
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:a b c\nmy-header2:x,y\n\n"
            "host;my-header1;my-header2\n" +
                std::string(kEmptySha256));
}

TEST(Sigv4SignerTest, AmzDateIsUtcBasicFormat) {
  EXPECT_EQ(AmzDate(Utc(2024, 2, 29, 23, 59, 58)), "20240229T235958Z");
}

TEST(UriEncodeTest, S3KeysAreEncodedOnceWithSlashesKept) {
  EXPECT_EQ(EncodePath("/bucket/test$file.text"), "/bucket/test%24file.text");
  EXPECT_EQ(EncodePath("/bucket/a b/\xC3\xA4.bits"), "/bucket/a%20b/%C3%A4.bits");
  // A key that contains "%20" is that key, not a space: '%' is encoded.
  EXPECT_EQ(EncodePath("/bucket/a%20b"), "/bucket/a%2520b");
  EXPECT_EQ(EncodePath("/bucket/scope-1.2_x~y"), "/bucket/scope-1.2_x~y");
  EXPECT_EQ(EncodePath(""), "/");
}

TEST(UriEncodeTest, QueryIsSortedEncodedAndGivesBareNamesAnEmptyValue) {
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(
      CanonicalQueryString({{"prefix", "a/"}, {"list-type", "2"}, {"continuation-token", "x+y="}}),
      "continuation-token=x%2By%3D&list-type=2&prefix=a%2F");
  EXPECT_EQ(CanonicalQueryString({}), "");
}

}  // namespace
}  // namespace scopefs::s3
