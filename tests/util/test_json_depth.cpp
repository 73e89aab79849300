#include "util/json_depth.h"

#include <gtest/gtest.h>

#include <string>

namespace trit {
namespace {

TEST(JsonDepth, CountsArraysAndObjectsOutsideStrings) {
  EXPECT_EQ(json_nesting_depth("3"), 0u);
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":[]}]})"), 4u);
  EXPECT_EQ(json_nesting_depth(R"(["[[[[", "\"[[", {}])"), 2u);  // brackets and escaped quotes in strings
  EXPECT_EQ(json_nesting_depth(std::string(100000, '[')), 100000u);
  EXPECT_EQ(json_nesting_depth("]]]}}["), 1u);  // malformed text still gives a number
}

}  // namespace
}  // namespace trit
