#include "store/mappings_validator.h"

#include <gtest/gtest.h>

#include <optional>

#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

// Feeds `text` whole, then byte by byte: both must agree.
Status Validate(std::string_view text, std::optional<uint64_t> nodes = std::nullopt,
                std::optional<uint64_t> links = std::nullopt) {
  MappingsValidator whole(nodes, links);
  Status a = whole.Feed(text);
  if (a.ok()) a = whole.Finish();
  MappingsValidator bytes(nodes, links);
  Status b;
  for (char c : text) {
    b = bytes.Feed(std::string_view(&c, 1));
    if (!b.ok()) break;
  }
  if (b.ok()) b = bytes.Finish();
  EXPECT_EQ(a.ToString(), b.ToString()) << text;
  return a;
}

void ExpectInvalid(std::string_view text, const std::string& reason,
                   std::optional<uint64_t> nodes = std::nullopt) {
  Status st = Validate(text, nodes, std::nullopt);
  EXPECT_EQ(st.code(), Status::Code::kInvalid) << text;
  EXPECT_NE(st.message().find(reason), std::string::npos) << "got: " << st.message();
}

TEST(MappingsValidatorTest, AcceptsTheOldFormatAndCountsEntries) {
  testing::ScopeFiles f = testing::MakeScopeFiles(100, 37);
  MappingsValidator v(100, 37);
  ASSERT_TRUE(v.Feed(f.mappings_json).ok());
  ASSERT_TRUE(v.Finish().ok());
  EXPECT_EQ(v.nodes().entries, 100u);
  EXPECT_EQ(v.links().entries, 37u);
  EXPECT_EQ(v.nodes().max_index, 99u);
  EXPECT_EQ(v.bytes(), f.mappings_json.size());
}

TEST(MappingsValidatorTest, AcceptsWhitespaceEscapesUnicodeAndAnyOrder) {
  const char* text =
      " {\n \"link_id_mapping\" : { } ,\t\"node_id_mapping\":{\"a\\\"b\\u00e9\\n\": 0,"
      " \"caf\xc3\xa9 \xf0\x9f\x98\x80\" : 10 } }\r\n";
  ASSERT_TRUE(Validate(text).ok()) << Validate(text).ToString();
  EXPECT_TRUE(Validate(R"({"node_id_mapping":{},"link_id_mapping":{}})").ok());
}

TEST(MappingsValidatorTest, RefusesIndicesOutsideTheirRange) {
  ExpectInvalid(R"({"node_id_mapping":{"n:1":5},"link_id_mapping":{}})",
                "node index 5 for \"n:1\" is out of range [0, 5)", 5);
  ExpectInvalid(R"({"node_id_mapping":{"n:1":-1},"link_id_mapping":{}})", "is negative");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":1.5},"link_id_mapping":{}})", "not an integer");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":1e3},"link_id_mapping":{}})", "not an integer");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":"3"},"link_id_mapping":{}})", "not an integer");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":null},"link_id_mapping":{}})", "not an integer");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":99999999999999999999999},"link_id_mapping":{}})",
                "too large");
  ExpectInvalid(R"({"node_id_mapping":{"n:1":01},"link_id_mapping":{}})", "leading zeros");
}

TEST(MappingsValidatorTest, RefusesWrongShapes) {
  ExpectInvalid(R"({"node_id_mapping":{}})", "missing \"link_id_mapping\"");
  ExpectInvalid(R"({"link_id_mapping":{}})", "missing \"node_id_mapping\"");
  ExpectInvalid(R"({"node_id_mapping":{},"link_id_mapping":{},"x":{}})", "unexpected key \"x\"");
  ExpectInvalid(R"({"node_id_mapping":{},"node_id_mapping":{}})", "appears twice");
  ExpectInvalid(R"({"node_id_mapping":[],"link_id_mapping":{}})", "is not a JSON object");
  ExpectInvalid(R"([1,2])", "not a JSON object");
  ExpectInvalid("", "end early");
  ExpectInvalid(R"({"node_id_mapping":{"a":1)", "end early");
  ExpectInvalid(R"({"node_id_mapping":{},"link_id_mapping":{}} x)", "after the end");
  ExpectInvalid(R"({"node_id_mapping":{"a" 1},"link_id_mapping":{}})", "expected ':'");
  ExpectInvalid(R"({"node_id_mapping":{"a":1,},"link_id_mapping":{}})", "expected '\"'");
  ExpectInvalid(R"({"node_id_mapping":{"a":1 "b":2},"link_id_mapping":{}})", "',' or '}'");
}

TEST(MappingsValidatorTest, RefusesBadStrings) {
  ExpectInvalid("{\"node_id_mapping\":{\"a\x01\":1},\"link_id_mapping\":{}}", "control character");
  ExpectInvalid(R"({"node_id_mapping":{"a\q":1},"link_id_mapping":{}})", "valid escape");
  ExpectInvalid(R"({"node_id_mapping":{"a\u12g4":1},"link_id_mapping":{}})", "hex digits");
  ExpectInvalid("{\"node_id_mapping\":{\"\xff\":1},\"link_id_mapping\":{}}", "invalid UTF-8");
  ExpectInvalid("{\"node_id_mapping\":{\"\xc3(\":1},\"link_id_mapping\":{}}", "invalid UTF-8");
  ExpectInvalid("{\"node_id_mapping\":{\"\xed\xa0\x80\":1},\"link_id_mapping\":{}}",
                "invalid UTF-8");  // a UTF-16 surrogate
  ExpectInvalid("{\"node_id_mapping\":{\"\xc0\xaf\":1},\"link_id_mapping\":{}}",
                "invalid UTF-8");  // overlong
  // Escaped surrogates must pair up, as strict parsers (nlohmann) require; fuzzing found this.
  EXPECT_TRUE(Validate(R"({"node_id_mapping":{"\ud83d\ude00":1},"link_id_mapping":{}})").ok());
  for (const char* bad : {R"({"node_id_mapping":{"\udede":1},"link_id_mapping":{}})",
                          R"({"node_id_mapping":{"\ud83d":1},"link_id_mapping":{}})",
                          R"({"node_id_mapping":{"\ud83dx":1},"link_id_mapping":{}})",
                          R"({"node_id_mapping":{"\ud83d\n":1},"link_id_mapping":{}})",
                          R"({"node_id_mapping":{"\ud83d\ud83d":1},"link_id_mapping":{}})"}) {
    ExpectInvalid(bad, "unpaired UTF-16 surrogate");
  }
}

TEST(MappingsValidatorTest, ReportsTheByteOffsetOfSyntaxErrors) {
  Status st = Validate(R"({"node_id_mapping" {})");
  EXPECT_NE(st.message().find("at byte 19"), std::string::npos) << st.message();
}

TEST(MappingsValidatorTest, KeepsReturningTheFirstError) {
  MappingsValidator v(std::nullopt, std::nullopt);
  Status first = v.Feed("[");
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(v.Feed("{}").ToString(), first.ToString());
  EXPECT_EQ(v.Finish().ToString(), first.ToString());
}

}  // namespace
}  // namespace scopefs::store
