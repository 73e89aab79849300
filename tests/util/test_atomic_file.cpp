// util/atomic_file: temporary names a later run can recognise, the sweep of dead processes'
// temporary files (and only those), and whole-or-nothing replacement.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "util/atomic_file.h"
#include "util/error.h"

using namespace trit;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(AtomicFile, TemporaryNamesCarryThePidAndStayApartInOneProcess) {
  const std::string dir = test::scratch_dir();
  const std::string pid = std::to_string(::getpid());
  AtomicFile first(dir + "/out.bin");
  AtomicFile second(dir + "/out.bin");  // its sweep must not take the first one's file
  EXPECT_EQ(fs::path(first.temp_path()).filename(), ".out.bin.tmp-" + pid);
  EXPECT_EQ(fs::path(second.temp_path()).filename(), ".out.bin.tmp-" + pid + "-2");
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{".out.bin.tmp-" + pid, ".out.bin.tmp-" + pid + "-2"}));
}

TEST(AtomicFile, TheSweepRemovesOnlyTemporaryFilesOfGoneProcesses) {
  const std::string dir = test::scratch_dir();
  const std::string pid = std::to_string(::getpid());
  for (const char* name : {".out.bin.tmp-99999999", ".out.bin.tmp-99999999-3", ".out.bin.tmp-" "1" /* init */,
                           ".out.bin.tmp-notapid", ".other.bin.tmp-99999999", "out.bin"})
    test::write_file(dir + "/" + name, "x");
  test::write_file(dir + "/.out.bin.tmp-" + pid + "-7", "ours, not held: a leftover of a reused PID");
  fs::create_directory(dir + "/.out.bin.tmp-99999998");
  EXPECT_EQ(remove_stale_temp_files(dir + "/out.bin"), 3);
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{".other.bin.tmp-99999999", ".out.bin.tmp-1",
                                                     ".out.bin.tmp-99999998", ".out.bin.tmp-notapid", "out.bin"}));
}

TEST(AtomicFile, ReplacesWholeOrLeavesNothing) {
  const std::string dir = test::scratch_dir();
  const std::string dest = dir + "/out.bin";
  test::write_file(dest, "old");
  {
    AtomicFile file(dest);
    std::fputs("half", file.stream());
  }  // abandoned
  EXPECT_EQ(test::read_file(dest), "old");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"out.bin"});
  {
    AtomicFile file(dest);
    std::fputs("new", file.stream());
    file.rename_into_place();
  }
  EXPECT_EQ(test::read_file(dest), "new");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, RefusesADestinationThatIsNotARegularFile) {
  const std::string dir = test::scratch_dir();
  fs::create_symlink("/dev/null", dir + "/null.bin");
  EXPECT_THROW(AtomicFile{dir + "/null.bin"}, Error);
  EXPECT_THROW(AtomicFile{dir}, Error);
  EXPECT_EQ(names_in(dir), std::vector<std::string>{"null.bin"});
}
