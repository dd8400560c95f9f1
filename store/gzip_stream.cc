#include "store/gzip_stream.h"

#include <zlib.h>

#include <cstring>
#include <string>

namespace scopefs::store {
namespace {

constexpr size_t kBufferSize = size_t{256} << 10;

class InflateStream {
 public:
  InflateStream() = default;
  ~InflateStream() {
    if (initialized_) inflateEnd(&zs_);
  }
  InflateStream(const InflateStream&) = delete;
  InflateStream& operator=(const InflateStream&) = delete;

  Status Init() {
    // 16 + MAX_WBITS: gzip wrapper only, so a zlib stream is not mistaken for gzip.
    int rc = inflateInit2(&zs_, 16 + MAX_WBITS);
    if (rc == Z_MEM_ERROR) return Status::FromErrno(ENOMEM, "inflateInit2");
    if (rc != Z_OK) return Status::FromErrno(EIO, "inflateInit2 returned " + std::to_string(rc));
    initialized_ = true;
    return Status::Ok();
  }
  z_stream* get() { return &zs_; }

 private:
  z_stream zs_{};
  bool initialized_ = false;
};

}  // namespace

Status InflateGzipStream(const File& in, uint64_t max_output,
                         const std::function<Status(std::string_view)>& sink) {
  InflateStream stream;
  RETURN_IF_ERROR(stream.Init());
  z_stream& zs = *stream.get();
  std::string in_buf(kBufferSize, '\0');
  std::string out_buf(kBufferSize, '\0');
  uint64_t read_pos = 0;  // file offset just past the bytes in in_buf
  zs.next_in = reinterpret_cast<Bytef*>(in_buf.data());
  zs.avail_in = 0;

  // Keeps the unread input and appends more from the file after it.
  auto refill = [&]() -> Status {
    std::memmove(in_buf.data(), zs.next_in, zs.avail_in);
    ASSIGN_OR_RETURN(size_t got,
                     in.ReadAt(read_pos, in_buf.data() + zs.avail_in, in_buf.size() - zs.avail_in));
    read_pos += got;
    zs.next_in = reinterpret_cast<Bytef*>(in_buf.data());
    zs.avail_in += static_cast<uInt>(got);
    return Status::Ok();
  };
  auto offset = [&] { return std::to_string(read_pos - zs.avail_in); };

  uint64_t total_out = 0;
  uint64_t members = 0;
  bool at_member_start = true;
  for (;;) {
    if (at_member_start) {
      // Checking the magic here, rather than leaving it to zlib, tells "not gzip at
      // all" and "junk after the last member" apart from corrupt data.
      if (zs.avail_in < 2) RETURN_IF_ERROR(refill());
      if (zs.avail_in == 0) {
        if (members == 0) return Status::Invalid("not a gzip file: empty");
        return Status::Ok();
      }
      if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
        if (members == 0)
          return Status::Invalid("not a gzip file: it does not start with the gzip magic bytes");
        return Status::Invalid("unexpected data after the last gzip member, at offset " + offset());
      }
      at_member_start = false;
    }
    if (zs.avail_in == 0) {
      RETURN_IF_ERROR(refill());
      if (zs.avail_in == 0) {
        return Status::Invalid("gzip file is truncated: it ends inside member " +
                               std::to_string(members) + ", at offset " + offset());
      }
    }
    zs.next_out = reinterpret_cast<Bytef*>(out_buf.data());
    zs.avail_out = static_cast<uInt>(out_buf.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = out_buf.size() - zs.avail_out;
    if (produced > 0) {
      if (produced > max_output - total_out) {
        return Status::Invalid("gzip file inflates to more than the limit of " +
                               std::to_string(max_output) + " bytes");
      }
      total_out += produced;
      RETURN_IF_ERROR(sink(std::string_view(out_buf.data(), produced)));
    }
    switch (rc) {
      case Z_OK: break;
      case Z_BUF_ERROR:  // out of input; more is read above
        if (zs.avail_in != 0) return Status::FromErrno(EIO, "inflate made no progress");
        break;
      case Z_STREAM_END:
        ++members;
        inflateReset(&zs);
        at_member_start = true;
        break;
      case Z_DATA_ERROR:
        return Status::Invalid(
            "corrupt gzip file: " + std::string(zs.msg != nullptr ? zs.msg : "bad data") +
            " in member " + std::to_string(members) + ", near offset " + offset());
      case Z_MEM_ERROR: return Status::FromErrno(ENOMEM, "inflate");
      default: return Status::FromErrno(EIO, "inflate returned " + std::to_string(rc));
    }
  }
}

}  // namespace scopefs::store
