// SharedTierConfig: what a user gives to reach the shared tier (a URL, an
// endpoint, a region, where the credentials are), and OpenSharedTier, which
// turns it into an S3Tier. The daemon's options and scopectl's tier options
// fill the same struct; neither parses anything here but the values.
//
// Credentials come from exactly one place: the credentials file when one is
// given (AWS credentials-file format, refused if group or others can read
// it), else the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
// environment. Errors are Invalid for a value that is wrong, naming the option
// (--shared, --shared-endpoint...), and keep CredentialsFromFile's kinds
// (Access for a file others can read, NotFound for a missing file or profile)
// with the option put before the message. No message holds a secret.
//
// Thread-safety: pure functions (the credential ones read the environment).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "store/s3/credentials.h"
#include "store/s3/s3_tier.h"
#include "store/status.h"

namespace scopefs::s3 {

inline constexpr char kDefaultSharedRegion[] = "us-east-1";

struct SharedTierConfig {
  std::string url;       // --shared: s3://BUCKET[/PREFIX]
  std::string endpoint;  // --shared-endpoint: http(s)://HOST[:PORT]; empty: AWS
  std::string region = kDefaultSharedRegion;  // --shared-region
  std::string credentials_file;               // --shared-credentials; empty: the environment
  std::string profile;  // --shared-profile; empty: $AWS_PROFILE, else "default"
};

// Where a tier URL points.
struct SharedTierUrl {
  std::string bucket;
  std::string prefix;  // "" or "team/scopes": no slash at either end
};

// Parses "s3://BUCKET[/PREFIX]": trailing slashes are trimmed. Invalid for
// another scheme, an empty bucket or one S3 does not allow (3-63 of a-z 0-9 .
// -, a letter or digit at each end, no "..", not an IP address, none of the
// reserved prefixes and suffixes), or a prefix with an empty, "." or ".."
// segment or a control character.
store::Result<SharedTierUrl> ParseSharedTierUrl(std::string_view url);

// The profile the credentials file is read with: config.profile, else
// $AWS_PROFILE, else "default".
std::string SharedTierProfile(const SharedTierConfig& config);

// The credentials `config` names: from config.credentials_file when it is set,
// else from the environment. Invalid for a profile given without a file, or
// when neither place has credentials.
store::Result<Credentials> SharedTierCredentials(const SharedTierConfig& config);

// An S3Tier for `config`, with `options` for everything the config does not
// say (transport timeouts, threads, host): its endpoint, bucket, prefix and
// region are replaced. Does not touch the network (S3Tier::Probe does).
store::Result<std::unique_ptr<S3Tier>> OpenSharedTier(const SharedTierConfig& config,
                                                      S3TierOptions options = {});

}  // namespace scopefs::s3
