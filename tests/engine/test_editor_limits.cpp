// EditorLimits (llama.cpp's n_indent and t_max_predict_ms): a line indented less than the limit
// ends the text at its first character, and the time limit applies only once a newline came.
#include <gtest/gtest.h>

#include "engine/editor_limits.h"

namespace trit::engine {
namespace {

TEST(EditorLimits, ALessIndentedLineEndsTheText) {
  EditorLimits l(4, 0);
  EXPECT_TRUE(l.active());
  EXPECT_EQ(l.push("x = 1", 0), "x = 1");  // the first line is never checked
  EXPECT_EQ(l.push("\n    y", 0), "\n    y");
  EXPECT_FALSE(l.stopped());
  EXPECT_EQ(l.push(" = 2\n\t\t", 0), " = 2\n\t\t");
  EXPECT_EQ(l.push("  z\n", 0), "  z\n");  // two tabs and two spaces: 4
  EXPECT_FALSE(l.stopped());
  EXPECT_EQ(l.push("  return", 0), "  ");  // indentation kept, the line's text cut
  EXPECT_TRUE(l.stopped());
  EXPECT_EQ(l.push("more", 0), "");
}

TEST(EditorLimits, BlankLinesDoNotEndIt) {
  EditorLimits l(2, 0);
  EXPECT_EQ(l.push("a\n\n\n  b", 0), "a\n\n\n  b");
  EXPECT_FALSE(l.stopped());
  EXPECT_EQ(l.push("\nc", 0), "\n");
  EXPECT_TRUE(l.stopped());
}

TEST(EditorLimits, TimeCountsOnlyAfterANewline) {
  EditorLimits l(0, 0.5);
  EXPECT_EQ(l.push("long line", 10.0), "long line");
  EXPECT_FALSE(l.stopped());
  EXPECT_EQ(l.push("\nnext", 0.2), "\nnext");
  EXPECT_FALSE(l.stopped());
  EXPECT_EQ(l.push(" more", 0.6), " more");
  EXPECT_TRUE(l.stopped());
}

TEST(EditorLimits, OffByDefault) {
  EditorLimits l(0, 0);
  EXPECT_FALSE(l.active());
  EXPECT_EQ(l.push("a\nb\n", 100), "a\nb\n");
  EXPECT_FALSE(l.stopped());
}

}  // namespace
}  // namespace trit::engine
