// `trit quantize` interrupted: SIGINT and SIGTERM remove the temporary file (and the process still
// dies of the signal), a temporary file left by a killed process is removed by the next run for
// the same output while a live process's is left alone, and a device node is never replaced.
//
// The child is held at a known point by TRIT_TEST_HOLD_TEMP_FILE (util/atomic_file.h): it prints
// a line once its temporary file exists and waits; the test reads that line (an event, not a
// sleep) and only then sends the signal.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/test_util.h"

extern char** environ;

using namespace trit;
namespace fs = std::filesystem;
using test::shell_quote;

namespace {

// Hidden temporary files ("*.tmp-*") in `dir`.
std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) out.push_back(name);
  }
  return out;
}

// `trit quantize IN OUT q2_0` started with the hold seam, stopped once its temporary file exists.
class HeldQuantize {
  static constexpr const char* kHolding = "trit: holding temporary file ";

 public:
  HeldQuantize(const std::string& in, const std::string& out) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    // Default actions and no blocked signals in the child, whatever ctest's shell set up (a
    // background job starts with SIGINT ignored).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, sig);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    std::vector<std::string> args = {test::trit_bin(), "quantize", "--force", in, out, "q2_0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = {"TRIT_TEST_HOLD_TEMP_FILE=1"};
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0].c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    err_fd_ = fds[0];
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    // Blocks until the child holds its temporary file (or exits, which ends the stream).
    char buffer[512];
    while (!holding() || stderr_text_.find('\n', stderr_text_.find(kHolding)) == std::string::npos) {
      ssize_t n = ::read(err_fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      stderr_text_.append(buffer, static_cast<size_t>(n));
    }
  }
  ~HeldQuantize() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0) ::close(err_fd_);
  }

  bool holding() const { return stderr_text_.find(kHolding) != std::string::npos; }
  const std::string& stderr_text() const { return stderr_text_; }
  pid_t pid() const { return pid_; }

  // Sends `sig` and returns the wait status.
  int signal_and_wait(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  std::string stderr_text_;
};

}  // namespace

TEST(QuantizeSignals, SigintAndSigtermRemoveTheTemporaryFile) {
  const std::string dir = test::scratch_dir();
  const std::string in = test::make_model("tiny", "f16", 1);
  for (int sig : {SIGINT, SIGTERM}) {
    const std::string out = dir + "/out.gguf";
    HeldQuantize child(in, out);
    ASSERT_TRUE(child.holding()) << child.stderr_text();
    ASSERT_EQ(temp_files(dir), std::vector<std::string>{".out.gguf.tmp-" + std::to_string(child.pid())});
    const int status = child.signal_and_wait(sig);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "status " << status << " for signal " << sig;
    EXPECT_EQ(temp_files(dir), std::vector<std::string>{}) << "signal " << sig;
    EXPECT_FALSE(fs::exists(out));
  }
}

// SIGKILL runs no handler: the next run for the same output removes what the dead process left,
// and what a live process holds stays.
TEST(QuantizeSignals, TheNextRunRemovesTemporaryFilesOfDeadProcessesOnly) {
  const std::string dir = test::scratch_dir();
  const std::string in = test::make_model("tiny", "f16", 1);
  const std::string out = dir + "/out.gguf";
  std::string killed_temp;
  {
    HeldQuantize killed(in, out);
    ASSERT_TRUE(killed.holding()) << killed.stderr_text();
    killed_temp = ".out.gguf.tmp-" + std::to_string(killed.pid());
    killed.signal_and_wait(SIGKILL);
  }
  ASSERT_EQ(temp_files(dir), std::vector<std::string>{killed_temp});
  // Names of earlier trit versions (a random number) and a PID above any pid_max: both dead.
  test::write_file(dir + "/.out.gguf.tmp-99999999", "old");
  test::write_file(dir + "/.out.gguf.tmp-99999999-2", "old");
  test::write_file(dir + "/.other.gguf.tmp-99999999", "another output's");  // not ours to judge

  HeldQuantize live(in, out);
  ASSERT_TRUE(live.holding()) << live.stderr_text();
  const std::string live_temp = ".out.gguf.tmp-" + std::to_string(live.pid());
  std::vector<std::string> expected = {".other.gguf.tmp-99999999", live_temp};
  std::vector<std::string> found = temp_files(dir);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, expected);  // the live one swept the dead ones

  auto r = test::run_trit("quantize -q --force " + shell_quote(in) + " " + shell_quote(out) + " q2_0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  found = temp_files(dir);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, expected);  // a live process's temporary file is not touched
  EXPECT_TRUE(fs::is_regular_file(out));
  const int status = live.signal_and_wait(SIGTERM);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
  EXPECT_EQ(temp_files(dir), std::vector<std::string>{".other.gguf.tmp-99999999"});
}

// --force replaces files, never a device node: a link to /dev/null (a link, so the test never
// risks /dev/null itself, even as root) stays a link and nothing is written.
TEST(QuantizeSignals, ADeviceNodeOutputIsRefusedEvenWithForce) {
  const std::string dir = test::scratch_dir();
  const std::string link = dir + "/null.gguf";
  fs::create_symlink("/dev/null", link);
  auto r = test::run_trit("quantize --force " + shell_quote(test::make_model("tiny", "f16", 1)) + " " +
                          shell_quote(link) + " q2_0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_NE(r.err.find("is not a regular file (a device, fifo or socket); refusing to replace it"), std::string::npos)
      << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_TRUE(fs::is_character_file(fs::status("/dev/null")));
  EXPECT_EQ(temp_files(dir), std::vector<std::string>{});
}
