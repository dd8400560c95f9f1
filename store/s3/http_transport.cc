#include "store/s3/http_transport.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

#include "store/s3/s3_error.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

// Enough for any S3 error document; the rest of an error body is dropped.
constexpr size_t kMaxErrorBody = 64 * 1024;
// Idle handles kept for their open connections; more are closed on return.
constexpr size_t kMaxIdleHandles = 16;

// curl_global_init is not thread-safe: run it once, before the first handle.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::bad_alloc();
  });
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What the callbacks fill in while one request runs.
struct Transfer {
  const HttpRequest* request = nullptr;
  CURL* curl = nullptr;
  HttpResponse response;
  uint64_t sent = 0;     // body bytes handed to curl
  int read_errno = 0;    // a failed pread of the body
  bool too_big = false;  // the answer passed max_response_bytes
};

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  const size_t colon = line.find(':');
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line (after a 100 Continue, say): forget earlier headers.
    transfer->response.headers.clear();
  } else if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    transfer->response.headers.push_back({std::move(name), Trim(line.substr(colon + 1))});
  }
  return size * count;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
  std::string& body = transfer->response.body;
  if (status >= 300) {
    body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (body.size() + n > transfer->request->max_response_bytes) {
    transfer->too_big = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
  }
  body.append(data, n);
  return n;
}

size_t OnReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const HttpRequest& request = *transfer->request;
  const uint64_t total = request.body_fd >= 0 ? request.body_length : request.body.size();
  const size_t want = static_cast<size_t>(std::min<uint64_t>(size * count, total - transfer->sent));
  if (want == 0) return 0;
  if (request.body_fd < 0) {
    std::copy_n(request.body.data() + transfer->sent, want, buffer);
    transfer->sent += want;
    return want;
  }
  for (;;) {
    const ssize_t n = ::pread(request.body_fd, buffer, want,
                              static_cast<off_t>(request.body_offset + transfer->sent));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A file that shrank since it was hashed, or a failed read.
      transfer->read_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    transfer->sent += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

// Lets curl resend the body from the start, as it may after a reused
// connection turns out to be closed.
int OnSeekBody(void* user, curl_off_t offset, int origin) {
  auto* transfer = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  transfer->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

Status TransferError(CURLcode code, const Transfer& transfer, const char* error_buffer,
                     const HttpRequest& request) {
  // The error buffer names the host and what failed, never a header.
  std::string what = request.method + " " + request.url + ": ";
  what += error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  switch (code) {
    case CURLE_WRITE_ERROR:
      if (transfer.too_big) {
        return Status::TooBig(request.method + " " + request.url + ": answer larger than " +
                              std::to_string(request.max_response_bytes) + " bytes");
      }
      return Status::FromErrno(EIO, what);
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
      return Status::FromErrno(transfer.read_errno != 0 ? transfer.read_errno : EIO,
                               what + " (reading the body)");
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return Status::Invalid(what);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      // A TLS setup the client refuses is not an outage: waiting won't fix it.
      return Status::FromErrno(EPROTO, what);
    default:
      // Refused, reset, unresolvable, timed out, stalled, cut short.
      return UnavailableError(what);
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const HttpField& header : headers) {
    if (header.name == name) return header.value;
  }
  return {};
}

HttpTransport::HttpTransport(HttpTransportOptions options) : options_(std::move(options)) {
  InitCurlOnce();
}

HttpTransport::~HttpTransport() {
  store::MutexLock lock(&mu_);
  for (void* handle : idle_handles_) curl_easy_cleanup(handle);
}

void* HttpTransport::TakeHandle() {
  {
    store::MutexLock lock(&mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  void* handle = curl_easy_init();
  if (handle == nullptr) throw std::bad_alloc();
  return handle;
}

void HttpTransport::ReturnHandle(void* handle) {
  {
    store::MutexLock lock(&mu_);
    if (idle_handles_.size() < kMaxIdleHandles) {
      idle_handles_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle);
}

Result<HttpResponse> HttpTransport::Send(const HttpRequest& request) {
  struct HandleReturner {
    HttpTransport* transport;
    CURL* curl;
    ~HandleReturner() { transport->ReturnHandle(curl); }
  } handle{this, static_cast<CURL*>(TakeHandle())};
  CURL* curl = handle.curl;
  // Reset keeps the handle's open connections and DNS cache, drops all options.
  curl_easy_reset(curl);

  std::unique_ptr<curl_slist, SlistFree> headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* list = curl_slist_append(headers.get(), line.c_str());
    if (list == nullptr) throw std::bad_alloc();
    (void)headers.release();
    headers.reset(list);
  };
  for (const HttpField& field : request.headers) add_header(field.name + ": " + field.value);
  // No "Expect: 100-continue": it costs a round trip, or a second's wait on a
  // server that does not answer it.
  add_header("Expect:");

  Transfer transfer;
  transfer.request = &request;
  transfer.curl = curl;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM, safe in threads
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_second);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    const uint64_t length = request.body_fd >= 0 ? request.body_length : request.body.size();
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, OnSeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(curl);
  // The handle goes back to the pool: it must not keep pointers to this frame.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (code != CURLE_OK) return TransferError(code, transfer, error_buffer, request);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  return std::move(transfer.response);
}

}  // namespace scopefs::s3
