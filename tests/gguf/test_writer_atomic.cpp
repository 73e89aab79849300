// Writer atomicity: an abandoned or failed write leaves nothing at the destination (and no
// temporary file), an existing file is never touched unless overwrite is asked for, and a
// finished write replaces it whole.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "common/test_util.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "util/error.h"

using namespace trit;
namespace fs = std::filesystem;

namespace {

size_t entries_in(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.exists() ? 1 : 0;
  return n;
}

void declare(gguf::Writer& w) {
  w.set("general.architecture", gguf::Value{std::string("test")});
  w.add_tensor({"a", {8}, 0, 32});
  w.add_tensor({"b", {4}, 0, 16});
}

}  // namespace

TEST(GgufWriter, AbandonedWriteLeavesNothing) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  {
    gguf::Writer w(path, false);
    declare(w);
    w.begin_data();
    std::vector<uint8_t> bytes(32, 1);
    w.write(bytes.data(), bytes.size());
    // destroyed without finish(), as when an exception unwinds
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(entries_in(dir), 0u);
}

TEST(GgufWriter, IncompleteDataFailsAtFinishAndLeavesNothing) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  {
    gguf::Writer w(path, false);
    declare(w);
    w.begin_data();
    std::vector<uint8_t> bytes(40, 1);
    w.write(bytes.data(), bytes.size());  // "b" gets 8 of 16 bytes
    try {
      w.finish();
      ADD_FAILURE() << "finish accepted a short tensor";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(entries_in(dir), 0u);
}

TEST(GgufWriter, TooMuchDataIsRefused) {
  std::string dir = test::scratch_dir();
  gguf::Writer w(dir + "/out.gguf", false);
  declare(w);
  w.begin_data();
  std::vector<uint8_t> bytes(49, 1);
  EXPECT_THROW(w.write(bytes.data(), bytes.size()), Error);
}

TEST(GgufWriter, ExistingFileUntouchedWithoutOverwrite) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  test::write_file(path, "precious");
  try {
    gguf::Writer w(path, false);
    ADD_FAILURE() << "writer opened over an existing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_file(path), "precious");
  EXPECT_EQ(entries_in(dir), 1u);
}

TEST(GgufWriter, FailedOverwriteKeepsTheOldFile) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  test::write_file(path, "precious");
  {
    gguf::Writer w(path, true);
    declare(w);
    w.begin_data();
    EXPECT_EQ(test::read_file(path), "precious");  // untouched while writing
  }
  EXPECT_EQ(test::read_file(path), "precious");
  EXPECT_EQ(entries_in(dir), 1u);
}

TEST(GgufWriter, FinishedOverwriteReplacesWhole) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  test::write_file(path, std::string(100000, 'x'));
  {
    gguf::Writer w(path, true);
    declare(w);
    w.begin_data();
    std::vector<uint8_t> bytes(48, 2);
    w.write(bytes.data(), bytes.size());
    w.finish();
  }
  gguf::File f = gguf::File::open(path);
  EXPECT_EQ(f.tensors().size(), 2u);
  EXPECT_LT(f.file_size(), 1000u);
  EXPECT_EQ(entries_in(dir), 1u);
}

TEST(GgufWriter, FileAppearingDuringTheWriteIsNotClobbered) {
  std::string dir = test::scratch_dir();
  std::string path = dir + "/out.gguf";
  gguf::Writer w(path, false);
  declare(w);
  w.begin_data();
  std::vector<uint8_t> bytes(48, 2);
  w.write(bytes.data(), bytes.size());
  test::write_file(path, "someone else's");
  EXPECT_THROW(w.finish(), Error);
  EXPECT_EQ(test::read_file(path), "someone else's");
}

TEST(GgufWriter, BadDestinations) {
  std::string dir = test::scratch_dir();
  EXPECT_THROW(gguf::Writer(dir, true), Error);                       // a directory
  EXPECT_THROW(gguf::Writer(dir + "/no/such/dir/x.gguf", true), Error);  // missing folder
  EXPECT_THROW(gguf::Writer(dir + "/x.gguf", true, 48), Error);       // alignment not a power of two
  EXPECT_EQ(entries_in(dir), 0u);
}

// --force must not replace what is not a file: a fifo, or a link to a device node (a link, so the
// test never risks /dev/null itself). Each stays what it was and no temporary file is left.
TEST(GgufWriter, OverwriteRefusesWhatIsNotARegularFile) {
  std::string dir = test::scratch_dir();
  const std::string fifo = dir + "/fifo.gguf", link = dir + "/null.gguf";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  fs::create_symlink("/dev/null", link);
  for (const std::string& path : {fifo, link}) {
    try {
      gguf::Writer w(path, true);
      declare(w);
      w.begin_data();
      std::vector<uint8_t> bytes(48, 2);
      w.write(bytes.data(), bytes.size());
      w.finish();
      ADD_FAILURE() << path << ": replaced";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_EQ(entries_in(dir), 2u);
}
