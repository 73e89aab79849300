// util/progress: a bar with carriage returns only on a terminal, plain lines elsewhere.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "util/progress.h"

namespace trit {
namespace {

std::string contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
  return out;
}

TEST(Progress, FormatsBytesAndDurations) {
  EXPECT_EQ(Progress::format_bytes(0), "0 B");
  EXPECT_EQ(Progress::format_bytes(1023), "1023 B");
  EXPECT_EQ(Progress::format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(Progress::format_bytes(1020ull << 20), "1020 MiB");
  EXPECT_EQ(Progress::format_bytes(25ull << 30), "25.0 GiB");
  EXPECT_EQ(Progress::format_duration(65), "1:05");
  EXPECT_EQ(Progress::format_duration(7384), "2:03:04");
  EXPECT_EQ(Progress::format_duration(-1), "?");
}

TEST(Progress, NotATerminalGivesStartAndFinishLinesOnly) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(Progress::is_terminal(f));
  {
    Progress p("model.gguf", 1000, Progress::Mode::automatic, Progress::Unit::bytes, f);
    EXPECT_FALSE(p.draws_bar());
    for (uint64_t i = 0; i <= 1000; i += 10) p.update(i);
    p.finish();
  }
  std::string out = contents(f);
  std::fclose(f);
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(out.find('\033'), std::string::npos) << out;
  EXPECT_EQ(out, "model.gguf: started (1000 B)\nmodel.gguf: done, 1000 B in 0:00\n");
}

// A job that throws (a write error, a full disk) must not end with "done" on the screen.
TEST(Progress, AnExceptionUnwindingThroughItSaysFailedNotDone) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  try {
    Progress p("model.gguf", 1000, Progress::Mode::lines, Progress::Unit::bytes, f);
    p.update(400);
    throw std::runtime_error("disk full");
  } catch (const std::runtime_error&) {
  }
  {
    Progress p("other.gguf", 10, Progress::Mode::lines, Progress::Unit::bytes, f);
    p.update(10);  // left without finish() and without an exception: done
  }
  std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("model.gguf: failed, 400 B in"), std::string::npos) << out;
  EXPECT_EQ(out.find("model.gguf: done"), std::string::npos) << out;
  EXPECT_NE(out.find("other.gguf: done, 10 B in"), std::string::npos) << out;
}

TEST(Progress, BarModeRedrawsInPlaceWithRateAndEta) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("w", 4 << 20, Progress::Mode::bar, Progress::Unit::bytes, f);
    p.set_start(1 << 20);
    p.update(1 << 20);
    p.note("connection lost, resuming");
    p.update(2 << 20);
    p.finish();
  }
  std::string out = contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("\rw  25% ["), std::string::npos) << out;
  EXPECT_NE(out.find("connection lost, resuming\n"), std::string::npos) << out;
  EXPECT_NE(out.find("/ 4.00 MiB"), std::string::npos) << out;
  EXPECT_NE(out.find("done\033[K\n"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
}

// A bar wider than the terminal would wrap and "\r" could not redraw it: lines are clipped.
TEST(Progress, BarFitsTheTerminalWidth) {
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  int slave = ::open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  winsize size{};
  size.ws_col = 40;
  size.ws_row = 10;
  ASSERT_EQ(ioctl(slave, TIOCSWINSZ, &size), 0);
  FILE* terminal = fdopen(slave, "w");
  std::string seen;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(master, buffer, sizeof buffer)) > 0) seen.append(buffer, n);
  });
  {
    Progress p("a-rather-long-model-file-name-Q2_0.gguf", 1 << 30, Progress::Mode::automatic,
               Progress::Unit::bytes, terminal);
    EXPECT_TRUE(p.draws_bar());
    p.update(1 << 29);
    p.finish();
  }
  std::fclose(terminal);
  reader.join();
  ::close(master);
  ASSERT_NE(seen.find('\r'), std::string::npos) << seen;
  // Each redraw is "\r" + text + "\033[K"; the text must fit in 39 columns.
  size_t pos = 0, draws = 0;
  while ((pos = seen.find('\r', pos)) != std::string::npos) {
    size_t end = seen.find("\033[K", pos);
    if (end == std::string::npos) break;
    EXPECT_LE(end - pos - 1, 39u) << seen.substr(pos + 1, end - pos - 1);
    ++draws;
    pos = end;
  }
  EXPECT_GE(draws, 2u);
}

TEST(Progress, OffWritesNothingAndItemsCountWithoutUnits) {
  FILE* f = std::tmpfile();
  {
    Progress off("x", 10, Progress::Mode::off, Progress::Unit::bytes, f);
    off.update(5);
    off.note("hidden");
    off.finish();
  }
  EXPECT_EQ(contents(f), "");
  {
    Progress items("tensors", 0, Progress::Mode::lines, Progress::Unit::items, f);
    items.update(3);
    items.finish("written");
  }
  EXPECT_EQ(contents(f), "tensors: started (unknown size)\ntensors: written, 3 in 0:00\n");
  std::fclose(f);
}

}  // namespace
}  // namespace trit
