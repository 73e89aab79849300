#include "serve_process.h"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/test_util.h"

namespace trit::test {

using Clock = std::chrono::steady_clock;

ServeProcess::ServeProcess(const std::string& args, int ready_timeout_s, Wait wait, const std::string& env) {
  static int counter = 0;
  const std::string dir = std::string(TRIT_TEST_WORK_DIR) + "/serve-logs";
  run_command("mkdir -p " + shell_quote(dir));
  log_path_ = dir + "/serve-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".log";
  int out[2];
  if (pipe(out) != 0) return;
  const std::string command = "exec env " + env + " " + shell_quote(trit_bin()) + " serve --host 127.0.0.1 --port 0 " + args +
                              (args.find("--drain-seconds") == std::string::npos ? " --drain-seconds 0" : "") +
                              " 2>" + shell_quote(log_path_);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  const auto deadline = Clock::now() + std::chrono::seconds(ready_timeout_s);
  // The first stdout line: "listening on http://127.0.0.1:PORT".
  std::string line;
  while (Clock::now() < deadline && line.find('\n') == std::string::npos) {
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  const size_t colon = line.rfind(':');
  if (line.find("listening on") == std::string::npos || colon == std::string::npos) return;
  port_ = std::atoi(line.c_str() + colon + 1);
  if (wait == Wait::listening) return;
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(1);
  while (Clock::now() < deadline) {
    auto res = client.Get("/health");
    if (res && res->status == 200) {
      ready_ = true;
      return;
    }
    if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string ServeProcess::log() const { return read_file(log_path_); }

int ServeProcess::stop() {
  if (pid_ <= 0) return exit_status_;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  for (;;) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
  exit_status_ = status < 0 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return exit_status_;
}

double ServeProcess::metric(const std::string& name) const {
  httplib::Client c("127.0.0.1", port_);
  auto res = c.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const std::string line = "\n" + name + " ";
  const size_t at = res->body.find(line);
  return at == std::string::npos ? -1 : std::stod(res->body.substr(at + line.size()));
}

void ServeProcess::signal(int sig) const {
  if (pid_ > 0) kill(pid_, sig);
}

int ServeProcess::wait_exit(int timeout_s) {
  if (pid_ <= 0) return exit_status_;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      return exit_status_ = -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_status_;
}

ServeProcess::~ServeProcess() { stop(); }

}  // namespace trit::test
