#include "store/s3/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

// A credentials file is a few hundred bytes; anything this big is not one.
constexpr size_t kMaxFileSize = 1 << 20;

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Reads the file through one descriptor, so the mode checked is the mode of
// the file read.
Result<std::string> ReadPrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    return Status::FromErrno(err, "credentials file " + path);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    return Status::FromErrno(err, "credentials file " + path);
  }
  if (!S_ISREG(st.st_mode)) return Status::Invalid("credentials file " + path + " is not a file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Access("credentials file " + path + " has mode " + mode +
                          ": group and others must have no access (chmod 600 " + path + ")");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileSize) {
    return Status::TooBig("credentials file " + path + " is larger than 1 MiB");
  }
  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return Status::FromErrno(err, "credentials file " + path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxFileSize) {
      return Status::TooBig("credentials file " + path + " is larger than 1 MiB");
    }
  }
  return data;
}

// The profile a section header `[NAME]` or `[profile NAME]` names.
std::string_view SectionProfile(std::string_view header) {
  std::string_view name = Trim(header);
  constexpr std::string_view kPrefix = "profile ";
  if (name.substr(0, kPrefix.size()) == kPrefix) name = Trim(name.substr(kPrefix.size()));
  return name;
}

}  // namespace

Credentials::Credentials(std::string access_key_id, std::string secret_access_key,
                         std::string session_token)
    : access_key_id_(std::move(access_key_id)),
      secret_access_key_(std::move(secret_access_key)),
      session_token_(std::move(session_token)) {}

std::string Credentials::ToString() const {
  std::string s = "access key " + access_key_id_ + " (secret redacted";
  if (!session_token_.empty()) s += ", session token redacted";
  return s + ")";
}

Result<Credentials> CredentialsFromEnvironment() {
  const char* id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  const char* token = std::getenv("AWS_SESSION_TOKEN");
  const bool has_id = id != nullptr && *id != '\0';
  const bool has_secret = secret != nullptr && *secret != '\0';
  if (!has_id && !has_secret) {
    return Status::NotFound("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  }
  if (!has_id) return Status::Invalid("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!has_secret) {
    return Status::Invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  return Credentials(id, secret, token != nullptr ? token : "");
}

Result<Credentials> CredentialsFromFile(const std::string& path, const std::string& profile) {
  ASSIGN_OR_RETURN(const std::string text, ReadPrivateFile(path));
  const std::string where = "credentials file " + path + " profile [" + profile + "]";
  bool in_profile = false;
  bool found_profile = false;
  std::string id, secret, token;
  size_t line_no = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view raw = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    ++line_no;
    const std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    // Errors cite the line number only: a malformed line may hold a secret.
    if (line[0] == '[') {
      if (line.back() != ']') {
        return Status::Invalid("credentials file " + path + " line " + std::to_string(line_no) +
                               ": unterminated section header");
      }
      in_profile = SectionProfile(line.substr(1, line.size() - 2)) == profile;
      found_profile |= in_profile;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::Invalid("credentials file " + path + " line " + std::to_string(line_no) +
                             ": expected key = value");
    }
    if (!in_profile) continue;
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") id = value;
    if (key == "aws_secret_access_key") secret = value;
    if (key == "aws_session_token") token = value;
  }
  if (!found_profile)
    return Status::NotFound("credentials file " + path + " has no profile [" + profile + "]");
  if (id.empty()) return Status::Invalid(where + " has no aws_access_key_id");
  if (secret.empty()) return Status::Invalid(where + " has no aws_secret_access_key");
  return Credentials(std::move(id), std::move(secret), std::move(token));
}

}  // namespace scopefs::s3
