#include "store/input_meta.h"

#include <gtest/gtest.h>

#include "store/scope_record.h"

namespace scopefs::store {
namespace {

void ExpectInvalid(const std::string& text, const std::string& reason) {
  Result<InputMeta> r = ParseInputMeta(text);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_NE(r.status().message().find(reason), std::string::npos) << r.status().message();
}

TEST(InputMetaTest, ReadsTotalsAttributesAndKeepsOtherKeys) {
  Result<InputMeta> r = ParseInputMeta(
      R"({"total_nodes":10,"total_links":0,"config_attributes":{"a":[1,2]},"note":"x",
          "scope_key":"ignored","created_at":"ignored","mappings_size":5})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->total_nodes, 10u);
  EXPECT_EQ(r->total_links, 0u);
  EXPECT_EQ(r->config_attributes, nlohmann::json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(r->extra, nlohmann::json::parse(R"({"note":"x"})"));
}

TEST(InputMetaTest, EverythingIsOptional) {
  Result<InputMeta> r = ParseInputMeta("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->total_nodes.has_value());
  EXPECT_EQ(r->config_attributes, nlohmann::json::object());
}

TEST(InputMetaTest, RefusesHostileInput) {
  ExpectInvalid("{", "not valid JSON");
  ExpectInvalid("[]", "must be a JSON object, got array");
  ExpectInvalid("\"x\"", "must be a JSON object");
  ExpectInvalid(R"({"total_nodes":-1})", "total_nodes must be a non-negative integer, got -1");
  ExpectInvalid(R"({"total_nodes":"5"})", "got \\x225\\x22");
  ExpectInvalid(R"({"total_links":1.5})", "non-negative integer");
  ExpectInvalid(R"({"total_links":1e400})", "not valid JSON");
  ExpectInvalid(R"({"total_nodes":1,"total_nodes":2})", "has the key \"total_nodes\" twice");
  ExpectInvalid(R"({"config_attributes":[]})", "config_attributes must be an object");
  ExpectInvalid(std::string(100000, '[') + std::string(100000, ']'), "nested deeper than 32");
  ExpectInvalid("{\"a\":\"" + std::string(kMaxMetaBytes, 'x') + "\"}", "at most 1048576");
  ExpectInvalid("{\"a\":\"\xff\"}", "not valid JSON");
}

TEST(InputMetaTest, TotalsUpToTheLimitAreKeptExactly) {
  Result<InputMeta> r = ParseInputMeta(R"({"total_nodes":17179869184,"total_links":17179869183})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->total_nodes, kMaxTotalBits);
  EXPECT_EQ(r->total_links, kMaxTotalBits - 1);
}

TEST(InputMetaTest, TotalsPastTheLimitAreRefusedNamingIt) {
  ExpectInvalid(R"({"total_nodes":17179869185})",
                "meta.json: total_nodes is 17179869185, more than the limit of 17179869184 "
                "(2^34) bits");
  ExpectInvalid(R"({"total_links":18446744073709551615})",
                "meta.json: total_links is 18446744073709551615, more than the limit of "
                "17179869184 (2^34) bits");
}

}  // namespace
}  // namespace scopefs::store
