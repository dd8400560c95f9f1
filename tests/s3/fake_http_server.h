// FakeHttpServer: a one-thread HTTP/1.1 server on 127.0.0.1 for the S3
// client's unit tests, answering each request as a handler says: a status,
// headers and body, or no answer at all (to test timeouts and resets).
//
// One request per connection (it answers with Connection: close). Requests
// are recorded for the test to inspect.
//
// Thread-safety: requests() is safe while the server thread runs; the handler
// runs on the server thread.
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "store/mutex.h"
#include "store/s3/uri_encode.h"

namespace scopefs::s3 {

struct FakeRequest {
  std::string method;
  std::string target;              // path and query, as sent
  std::vector<HttpField> headers;  // names lowercased
  std::string body;

  std::string Header(const std::string& lowercase_name) const;
};

struct FakeResponse {
  enum class Action { kAnswer, kHang, kClose };
  Action action = Action::kAnswer;
  int status = 200;
  std::vector<HttpField> headers;
  std::string body;
  // Content-Length is added from the body unless set in `headers` (HEAD).
};

class FakeHttpServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();  // stops the thread, closing any connection it holds
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const EXCLUDES(mu_);

 private:
  void Serve();
  void HandleConnection(int fd);
  // Blocks until the test ends (kHang).
  void WaitForStop() const;

  Handler handler_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  int port_ = 0;
  mutable store::Mutex mu_;
  std::vector<FakeRequest> requests_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace scopefs::s3
