// Credentials: an S3 access key, its secret and an optional session token, and
// the two places they come from (the AWS_* environment variables, or an AWS
// credentials file with a profile).
//
// The secret and the token never leave this object except to the signer:
// there is no operator<<, and ToString() names only the access key id. Errors
// name the file, the profile and the missing setting, never a value.
//
// Thread-safety: a value; immutable once made, safe to share between threads.
#pragma once

#include <string>

#include "store/status.h"

namespace scopefs::s3 {

class Credentials {
 public:
  // REQUIRES: access_key_id and secret_access_key are not empty.
  Credentials(std::string access_key_id, std::string secret_access_key,
              std::string session_token = "");

  const std::string& access_key_id() const { return access_key_id_; }
  // For the signer only: never log, format or copy it elsewhere.
  const std::string& secret_access_key() const { return secret_access_key_; }
  // Empty unless the credentials are temporary (STS).
  const std::string& session_token() const { return session_token_; }

  // "access key AKIA... (secret redacted[, session token redacted])".
  std::string ToString() const;

 private:
  std::string access_key_id_;
  std::string secret_access_key_;
  std::string session_token_;
};

// From AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional)
// AWS_SESSION_TOKEN. NotFound if neither key variable is set, Invalid if only
// one of them is.
store::Result<Credentials> CredentialsFromEnvironment();

// From an AWS credentials file (INI: `[profile]` sections of `key = value`
// lines with aws_access_key_id, aws_secret_access_key, aws_session_token;
// `[profile NAME]` is accepted too; `#` and `;` start comments). Refused with
// Access if the file is readable or writable by group or others (mode & 077),
// as the AWS tools warn and ssh refuses; NotFound if the file or the profile is
// missing; Invalid if a line does not parse or a key is missing.
store::Result<Credentials> CredentialsFromFile(const std::string& path,
                                               const std::string& profile = "default");

}  // namespace scopefs::s3
