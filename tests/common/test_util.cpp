#include "common/test_util.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace fs = std::filesystem;

namespace trit::test {

std::string trit_bin() { return TRIT_BIN; }
std::string source_dir() { return TRIT_SOURCE_DIR; }
std::string shared_dir() { return TRIT_SHARED_DIR; }
bool have_shared() { return fs::exists(fs::path(TRIT_SHARED_DIR) / "models"); }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "global";
  for (char& c : name)
    if (c == '/') c = '_';
  fs::path dir = fs::path(TRIT_TEST_WORK_DIR) / "scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

CommandResult run_command(const std::string& command_line) {
  static int counter = 0;
  fs::path err_file = fs::path(TRIT_TEST_WORK_DIR) / ("stderr-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::string full = command_line + " 2>" + shell_quote(err_file.string());
  CommandResult result;
  FILE* pipe = popen(full.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = pclose(pipe);
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
    // The shell reports a child killed by a signal as 128 + signal.
    if (result.exit_code > 128 && result.exit_code < 128 + 65) result.signal = result.exit_code - 128;
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  result.err = read_file(err_file.string());
  fs::remove(err_file);
  return result;
}

CommandResult run_trit(const std::string& args) { return run_command(shell_quote(trit_bin()) + " " + args); }

std::string make_model(const std::string& preset, const std::string& type, int seed, const std::string& extra_args) {
  std::string key = preset + "-" + type + "-s" + std::to_string(seed);
  if (!extra_args.empty()) key += "-x" + std::to_string(std::hash<std::string>{}(extra_args) % 100000);
  fs::path dir = fs::path(TRIT_TEST_WORK_DIR) / "models";
  fs::create_directories(dir);
  fs::path path = dir / (key + ".gguf");
  if (!fs::exists(path)) {
    // Written atomically by mkmodel, so concurrent tests never see a partial file.
    CommandResult r = run_trit("mkmodel --preset " + preset + " --type " + type + " --seed " +
                               std::to_string(seed) + " " + extra_args + " -o " + shell_quote(path.string()) +
                               " --force");
    if (r.exit_code != 0) ADD_FAILURE() << "mkmodel failed: " << r.err;
  }
  return path.string();
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // port 0: the kernel picks one
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace trit::test
