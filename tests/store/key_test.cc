#include "store/key.h"

#include <gtest/gtest.h>

namespace scopefs::store {
namespace {

TEST(KeyTest, AcceptsTheAllowedAlphabet) {
  for (const char* key : {"a", "scope-1", "Scope_2.v3", "0", "a..b", "x-"}) {
    EXPECT_TRUE(ValidateKey(key).ok()) << key;
  }
  EXPECT_TRUE(ValidateKey(std::string(200, 'k')).ok());
}

TEST(KeyTest, RefusesEverythingElseWithAReason) {
  struct Case {
    std::string key;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {".hidden", "starts with '.'"},
           {"..x", "starts with '.'"},
           {"a b", "outside [A-Za-z0-9._-] at byte 1"},
           {"a/b", "outside"},
           {std::string("a\x01", 2), "outside"},
           {"caf\xc3\xa9", "outside"},
           {std::string(201, 'k'), "201 bytes"},
           {std::string(300, 'k'), "300 bytes"},
       }) {
    Status st = ValidateKey(c.key);
    EXPECT_EQ(st.code(), Status::Code::kInvalid) << c.key;
    EXPECT_NE(st.message().find(c.reason), std::string::npos) << st.message();
  }
}

TEST(KeyTest, PrintableEscapesAndCaps) {
  EXPECT_EQ(Printable(std::string("a\x01\"b", 4)), "a\\x01\\x22b");
  EXPECT_EQ(Printable(std::string(100, 'x'), 4), "xxxx...");
}

}  // namespace
}  // namespace scopefs::store
