// The test radosgw that CTest's RadosgwStart fixture runs (tools/radosgw.sh)
// for tests labelled `shared`: its env file, named by SCOPEFS_TEST_S3_ENV.
//
// The file's KEY=value lines: SCOPEFS_TEST_S3_ENDPOINT, SCOPEFS_TEST_S3_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, RADOSGW_SH and RADOSGW_DIR (to
// stop and restart the gateway).
#pragma once

#include <map>
#include <string>

namespace scopefs::testing {

// The env file's pairs; empty if there is none (run outside ctest).
std::map<std::string, std::string> ReadRadosgwEnv();

// Why a test skips when ReadRadosgwEnv() names no endpoint.
inline constexpr char kNoRadosgw[] =
    "no radosgw: SCOPEFS_TEST_S3_ENV is not set or names no env file "
    "(run under ctest, which starts tools/radosgw.sh)";

// The current test's name and a random number: a bucket prefix that no
// rerun or other test shares.
std::string UniqueTestPrefix();

}  // namespace scopefs::testing
