// HttpTransport: sends one HTTP request over libcurl and returns the answer.
//
// It knows nothing of S3 or signing: the caller passes the URL and every header
// to send (S3Client signs them first). Any HTTP status is an answer; a Status is
// returned only when no answer came: unavailable (s3_error.h) for a refused or
// reset connection, a DNS failure, a timeout or a stalled transfer, and other
// kinds for a local read error on the body, an answer larger than the caller's
// cap, or a URL curl will not take. Nothing is logged and curl's verbose mode
// is never on, so headers (Authorization) go nowhere but the wire.
//
// Each request has a connect timeout, an overall timeout and a low-speed limit.
// No redirects are followed and only http and https are spoken. Requests are
// not retried here.
//
// Thread-safety: thread-safe. Each Send() takes its own curl easy handle from a
// small pool (kept so connections are reused) and no lock is held while the
// request runs. Owned by S3Client.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/mutex.h"
#include "store/s3/uri_encode.h"
#include "store/status.h"

namespace scopefs::s3 {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT or DELETE
  std::string url;
  std::vector<HttpField> headers;
  // PUT's body: `body`, or, when body_fd >= 0, `body_length` bytes of that
  // file from `body_offset` (read with pread as they are sent; not owned).
  std::string_view body;
  int body_fd = -1;
  uint64_t body_offset = 0;
  uint64_t body_length = 0;
  // A 2xx answer's body larger than this fails with TooBig. Error bodies are
  // kept up to 64 KiB (enough for S3's error XML) and the rest is dropped.
  uint64_t max_response_bytes = 1 << 20;
};

struct HttpResponse {
  long status = 0;
  std::vector<HttpField> headers;  // names lowercased, values trimmed
  std::string body;

  // The value of the first header called `name` (lowercase); empty if none.
  std::string Header(std::string_view name) const;
};

struct HttpTransportOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{60000};  // the whole request; 0 for none
  // A transfer below this many bytes per second for low_speed_time fails.
  long low_speed_bytes_per_second = 1024;
  std::chrono::seconds low_speed_time{15};
};

class HttpTransport {
 public:
  explicit HttpTransport(HttpTransportOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  store::Result<HttpResponse> Send(const HttpRequest& request) EXCLUDES(mu_);

 private:
  void* TakeHandle() EXCLUDES(mu_);
  void ReturnHandle(void* handle) EXCLUDES(mu_);

  const HttpTransportOptions options_;
  store::Mutex mu_;
  std::vector<void*> idle_handles_ GUARDED_BY(mu_);  // CURL*, reset before each use
};

}  // namespace scopefs::s3
