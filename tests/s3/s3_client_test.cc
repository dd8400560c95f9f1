// S3Client against FakeHttpServer: what goes on the wire, how each kind of
// failure is reported, and that no secret reaches an error or a log line.
#include "store/s3/s3_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/log.h"
#include "store/s3/s3_error.h"
#include "store/s3/sha256.h"
#include "tests/s3/fake_http_server.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

constexpr char kKeyId[] = "AKIAFAKEFAKEFAKE";
constexpr char kSecret[] = "fakeSecret/with+Chars=0123456789abcdefXYZ";
constexpr char kToken[] = "FakeSessionToken//////wEXAMPLE+token=";

std::unique_ptr<S3Client> ClientFor(
    const std::string& endpoint,
    std::chrono::milliseconds request_timeout = std::chrono::seconds(10)) {
  S3ClientOptions options;
  options.endpoint = endpoint;
  options.bucket = "bucket";
  options.transport.request_timeout = request_timeout;
  Result<std::unique_ptr<S3Client>> client =
      S3Client::Create(options, Credentials(kKeyId, kSecret, kToken));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return client.ok() ? std::move(*client) : nullptr;
}

FakeResponse Answer(int status, std::string body = "") {
  FakeResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>r1</RequestId></Error>";
}

TEST(S3ClientTest, PutSendsASignedHashedConditionalRequest) {
  FakeHttpServer server([](const FakeRequest&) { return Answer(200); });
  auto client = ClientFor(server.endpoint());
  ASSERT_TRUE(client->PutObject("dir/a key$", "hello", PutMode::kIfAbsent).ok());

  const std::vector<FakeRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const FakeRequest& put = requests[0];
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/bucket/dir/a%20key%24");
  EXPECT_EQ(put.body, "hello");
  EXPECT_EQ(put.Header("x-amz-content-sha256"), Sha256Hex("hello"));
  EXPECT_EQ(put.Header("if-none-match"), "*");
  EXPECT_EQ(put.Header("host"), server.endpoint().substr(7));
  EXPECT_EQ(put.Header("x-amz-security-token"), kToken);
  EXPECT_EQ(put.Header("expect"), "");
  const std::string authorization = put.Header("authorization");
  EXPECT_EQ(authorization.rfind(std::string("AWS4-HMAC-SHA256 Credential=") + kKeyId + "/", 0), 0u)
      << authorization;
  EXPECT_NE(authorization.find("/us-east-1/s3/aws4_request, SignedHeaders=host;if-none-match;"
                               "x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="),
            std::string::npos)
      << authorization;
}

TEST(S3ClientTest, PutFromFileSendsTheRangeItHashed) {
  FakeHttpServer server([](const FakeRequest&) { return Answer(200); });
  auto client = ClientFor(server.endpoint());
  FILE* file = tmpfile();
  ASSERT_NE(file, nullptr);
  std::string content;
  for (int i = 0; i < 300000; ++i) content += static_cast<char>('a' + i % 26);
  ASSERT_EQ(fwrite(content.data(), 1, content.size(), file), content.size());
  ASSERT_EQ(fflush(file), 0);
  ASSERT_TRUE(client->PutObjectFromFile("k", fileno(file), 1000, 250000, PutMode::kOverwrite).ok());
  // A range past the end of the file fails before anything is sent.
  const Status past_end =
      client->PutObjectFromFile("k", fileno(file), 299000, 5000, PutMode::kOverwrite);
  EXPECT_EQ(past_end.code(), Status::Code::kInvalid) << past_end.ToString();
  fclose(file);

  const std::vector<FakeRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, content.substr(1000, 250000));
  EXPECT_EQ(requests[0].Header("x-amz-content-sha256"), Sha256Hex(content.substr(1000, 250000)));
  EXPECT_EQ(requests[0].Header("if-none-match"), "");
}

TEST(S3ClientTest, RangedGetHeadAndListRequests) {
  FakeHttpServer server([](const FakeRequest& request) {
    if (request.method == "HEAD") {
      FakeResponse response = Answer(200);
      response.headers = {{"Content-Length", "1234"},
                          {"ETag", "\"0123abcd\""},
                          {"Last-Modified", "Wed, 01 May 2024 10:20:30 GMT"}};
      return response;
    }
    if (request.target.find("list-type=2") != std::string::npos) {
      return Answer(
          200,
          "<ListBucketResult><Contents><Key>a/1</Key><Size>3</Size></Contents>"
          "<IsTruncated>true</IsTruncated><NextContinuationToken>t/2+</NextContinuationToken>"
          "</ListBucketResult>");
    }
    return Answer(206, "0123456789");
  });
  auto client = ClientFor(server.endpoint());

  Result<std::string> got = client->GetObject("obj", ByteRange{5, 10});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "0123456789");

  Result<ObjectInfo> info = client->HeadObject("obj");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 1234u);
  EXPECT_EQ(info->etag, "0123abcd");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(info->last_modified), 1714558830);

  Result<ObjectListing> listing = client->ListObjectsV2("a/", "t/1+", 2);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->objects.size(), 1u);
  EXPECT_EQ(listing->next_continuation_token, "t/2+");

  const std::vector<FakeRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/bucket/obj");
  EXPECT_EQ(requests[0].Header("range"), "bytes=5-14");
  EXPECT_EQ(requests[1].method, "HEAD");
  EXPECT_EQ(requests[2].target,
            "/bucket?continuation-token=t%2F1%2B&list-type=2&max-keys=2&prefix=a%2F");
}

TEST(S3ClientTest, HttpStatusesMapToDistinctKinds) {
  struct Case {
    int status;
    S3ErrorKind kind;
  };
  for (const Case& c :
       {Case{404, S3ErrorKind::kNotFound}, Case{403, S3ErrorKind::kDenied},
        Case{412, S3ErrorKind::kPreconditionFailed}, Case{500, S3ErrorKind::kUnavailable},
        Case{503, S3ErrorKind::kUnavailable}, Case{429, S3ErrorKind::kUnavailable},
        Case{400, S3ErrorKind::kOther}, Case{416, S3ErrorKind::kOther}}) {
    FakeHttpServer server(
        [&](const FakeRequest&) { return Answer(c.status, ErrorXml("Code", "m")); });
    auto client = ClientFor(server.endpoint());
    const Status status = client->GetObject("k").status();
    EXPECT_EQ(ErrorKindOf(status), c.kind) << c.status << ": " << status.ToString();
    EXPECT_NE(status.message().find("HTTP " + std::to_string(c.status)), std::string::npos)
        << status.ToString();
    EXPECT_NE(status.message().find("GET bucket/k"), std::string::npos) << status.ToString();
  }
}

TEST(S3ClientTest, PutIfAbsentOnAnExistingKeyIsAlreadyExists) {
  FakeHttpServer server([](const FakeRequest&) {
    return Answer(412, ErrorXml("PreconditionFailed", "At least one of the preconditions failed"));
  });
  auto client = ClientFor(server.endpoint());
  const Status status = client->PutObject("manifest", "{}", PutMode::kIfAbsent);
  EXPECT_EQ(status.code(), Status::Code::kExists);
  EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kPreconditionFailed);
  EXPECT_NE(status.message().find("bucket/manifest already exists"), std::string::npos)
      << status.ToString();
}

TEST(S3ClientTest, NoServerIsUnavailableNotAbsent) {
  // A port that was just free: nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  auto client = ClientFor("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  const Status head = client->HeadObject("k").status();
  EXPECT_EQ(ErrorKindOf(head), S3ErrorKind::kUnavailable) << head.ToString();
  EXPECT_NE(head.code(), Status::Code::kNotFound);
  EXPECT_EQ(ErrorKindOf(client->HeadBucket()), S3ErrorKind::kUnavailable);
}

TEST(S3ClientTest, AServerThatNeverAnswersTimesOutAsUnavailable) {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse response;
    response.action = FakeResponse::Action::kHang;
    return response;
  });
  auto client = ClientFor(server.endpoint(), std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  const Status status = client->GetObject("k").status();
  EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kUnavailable) << status.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(S3ClientTest, AConnectionClosedWithoutAnAnswerIsUnavailable) {
  FakeHttpServer server([](const FakeRequest&) {
    FakeResponse response;
    response.action = FakeResponse::Action::kClose;
    return response;
  });
  auto client = ClientFor(server.endpoint());
  const Status status = client->DeleteObject("k");
  EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kUnavailable) << status.ToString();
}

TEST(S3ClientTest, AnAnswerLargerThanTheRangeIsRefused) {
  FakeHttpServer server([](const FakeRequest&) { return Answer(200, std::string(100, 'x')); });
  auto client = ClientFor(server.endpoint());
  const Status status = client->GetObject("k", ByteRange{0, 10}).status();
  EXPECT_EQ(status.code(), Status::Code::kTooBig) << status.ToString();
}

// Runs `body` with stderr (where store/log.h writes) going to a file; returns
// what was written.
template <typename Body>
std::string CaptureStderr(Body body) {
  fflush(stderr);
  FILE* capture = tmpfile();
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(fileno(capture), STDERR_FILENO);
  body();
  fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  rewind(capture);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), capture)) > 0) text.append(buf, n);
  fclose(capture);
  return text;
}

TEST(S3ClientTest, SecretsNeverReachAnErrorOrALogLine) {
  // A hostile (or chatty) server that echoes everything it got, secrets
  // included, in the fields the client quotes.
  FakeHttpServer server([](const FakeRequest& request) {
    const std::string authorization = request.Header("authorization");
    const std::string echo = "auth=" + authorization +
                             " token=" + request.Header("x-amz-security-token") +
                             " secret=" + kSecret;
    return Answer(403, ErrorXml("SignatureDoesNotMatch " + echo, echo) + "<StringToSign>" + echo +
                           "</StringToSign><CanonicalRequest>" + echo + "</CanonicalRequest>");
  });
  auto client = ClientFor(server.endpoint());
  std::vector<std::string> texts;
  const std::string log = CaptureStderr([&] {
    for (const Status& status :
         {client->GetObject("k").status(), client->PutObject("k", "v", PutMode::kIfAbsent),
          client->ListObjectsV2("p").status(), client->HeadBucket()}) {
      EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kDenied) << status.ToString();
      texts.push_back(status.ToString());
      store::LogError(status.ToString());  // as a caller would
    }
  });
  texts.push_back(log);
  EXPECT_NE(log.find("SignatureDoesNotMatch"), std::string::npos) << log;
  const std::vector<FakeRequest> requests = server.requests();
  ASSERT_FALSE(requests.empty());
  const std::string authorization = requests[0].Header("authorization");
  const std::string signature = authorization.substr(authorization.find("Signature=") + 10);
  ASSERT_EQ(signature.size(), 64u);
  for (const std::string& text : texts) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
    EXPECT_EQ(text.find(signature), std::string::npos) << text;
    EXPECT_EQ(text.find("Signature="), std::string::npos) << text;
  }
}

TEST(S3ClientTest, ConcurrentCallsFromManyThreads) {
  std::atomic<int> served{0};
  FakeHttpServer server([&](const FakeRequest& request) {
    ++served;
    return Answer(200, request.target);
  });
  auto client = ClientFor(server.endpoint());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        Result<std::string> got = client->GetObject(key);
        if (got.ok() && *got == "/bucket/" + key) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(served.load(), 80);
}

TEST(S3ClientTest, CreateRefusesABadEndpoint) {
  for (const char* endpoint :
       {"ftp://host", "http://", "http://host/path", "host:7480", "http://user@host"}) {
    S3ClientOptions options;
    options.endpoint = endpoint;
    options.bucket = "b";
    EXPECT_EQ(S3Client::Create(options, Credentials("a", "b")).status().code(),
              Status::Code::kInvalid)
        << endpoint;
  }
  S3ClientOptions aws;
  aws.bucket = "b";
  aws.region = "eu-west-1";
  Result<std::unique_ptr<S3Client>> client = S3Client::Create(aws, Credentials("a", "b"));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->BucketUrl(), "https://s3.eu-west-1.amazonaws.com/b");
}

}  // namespace
}  // namespace scopefs::s3
