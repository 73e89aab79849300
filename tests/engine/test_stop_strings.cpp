// StopStringFilter: text is held back only while it may still become a stop string, the text ends
// at the earliest stop string, and matched() names the one that ended it (APIs report it).
#include <gtest/gtest.h>

#include "engine/stop_strings.h"

namespace trit::engine {
namespace {

TEST(StopStrings, HoldsBackAPartialMatchAndReleasesItWhenItDiverges) {
  StopStringFilter f({"END"});
  EXPECT_EQ(f.push("abcE"), "abc");
  EXPECT_EQ(f.push("N"), "");
  EXPECT_EQ(f.push("x"), "ENx");
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.matched(), "");
  EXPECT_EQ(f.push("E"), "");
  EXPECT_EQ(f.flush(), "E");
}

TEST(StopStrings, TheEarliestStopInTheTextWinsAndIsNamed) {
  StopStringFilter f({"world", "lo w", "zzz"});
  EXPECT_EQ(f.push("hel"), "he");  // "l" may begin "lo w"
  EXPECT_EQ(f.push("lo world"), "l");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.matched(), "lo w");
  EXPECT_EQ(f.push("more"), "");
  EXPECT_EQ(f.flush(), "");
}

TEST(StopStrings, EmptyStopStringsAreIgnored) {
  StopStringFilter f({"", "\n\n"});
  EXPECT_EQ(f.push("a\nb"), "a\nb");
  EXPECT_EQ(f.push("\n\nc"), "");
  EXPECT_EQ(f.matched(), "\n\n");
}

}  // namespace
}  // namespace trit::engine
