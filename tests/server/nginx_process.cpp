#include "nginx_process.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/test_util.h"

namespace trit::test {
namespace {

using Clock = std::chrono::steady_clock;

// The main configuration: one worker, in the foreground, every path inside `dir`. Run as root
// (as in CI containers) nginx would hand its workers to "nobody"; keep them as the current user.
std::string main_config(const std::string& dir, const std::string& http_config) {
  std::string user;
  if (geteuid() == 0) {
    const passwd* pw = getpwuid(0);
    user = "user " + std::string(pw != nullptr ? pw->pw_name : "root") + ";\n";
  }
  return user + "daemon off;\nmaster_process on;\nworker_processes 1;\npid " + dir + "/nginx.pid;\nerror_log " + dir +
         "/error.log info;\nevents { worker_connections 256; }\nhttp {\n  access_log " + dir +
         "/access.log combined;\n  client_body_temp_path " + dir + "/client_body;\n  proxy_temp_path " + dir +
         "/proxy;\n  fastcgi_temp_path " + dir + "/fastcgi;\n  uwsgi_temp_path " + dir + "/uwsgi;\n  scgi_temp_path " +
         dir + "/scgi;\n" + http_config + "\n}\n";
}

}  // namespace

std::string find_nginx() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  CommandResult which = run_command("command -v nginx");
  if (which.exit_code == 0 && !which.out.empty()) return which.out.substr(0, which.out.find('\n'));
  return "";
}

NginxProcess::NginxProcess(const std::string& nginx, const std::string& dir,
                           const std::function<std::string(int port)>& http_config, const std::string& ready_path,
                           int ready_timeout_s)
    : dir_(dir) {
  for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
    port_ = free_loopback_port();
    if (start(nginx, http_config(port_)) != Start::port_taken) break;
  }
  if (pid_ <= 0) return;
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(1);
  const auto deadline = Clock::now() + std::chrono::seconds(ready_timeout_s);
  while (Clock::now() < deadline) {
    auto res = client.Get(ready_path);
    if (res && res->status == 200) {
      ready_ = true;
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

NginxProcess::Start NginxProcess::start(const std::string& nginx, const std::string& http_config) {
  unlink((dir_ + "/nginx.pid").c_str());
  write_file(dir_ + "/nginx.conf", main_config(dir_, http_config));
  // -t first: a bad configuration is reported as such, not as "did not become ready".
  CommandResult check = run_command(shell_quote(nginx) + " -q -t -p " + shell_quote(dir_) + " -e " +
                                    shell_quote(dir_ + "/error.log") + " -c " + shell_quote(dir_ + "/nginx.conf"));
  if (check.exit_code != 0) {
    write_file(dir_ + "/startup.log", check.out + check.err);
    pid_ = -1;
    return Start::failed;
  }
  pid_ = fork();
  if (pid_ == 0) {
    const int out = open((dir_ + "/startup.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      dup2(out, STDOUT_FILENO);
      dup2(out, STDERR_FILENO);
      close(out);
    }
    execl(nginx.c_str(), nginx.c_str(), "-p", dir_.c_str(), "-e", (dir_ + "/error.log").c_str(), "-c",
          (dir_ + "/nginx.conf").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // A clash on the port makes nginx exit at once ("bind() ... failed"); a started one keeps running.
  for (int i = 0; i < 20; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return log().find("Address already in use") != std::string::npos ? Start::port_taken : Start::failed;
    }
    if (access((dir_ + "/nginx.pid").c_str(), F_OK) == 0) return Start::running;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Start::running;  // still starting: the readiness probe decides
}

std::string NginxProcess::log() const {
  return read_file(dir_ + "/startup.log") + read_file(dir_ + "/error.log");
}

std::string NginxProcess::access_log() const { return read_file(dir_ + "/access.log"); }

void NginxProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGQUIT);  // graceful: finish the open requests, then exit
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (Clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
}

NginxProcess::~NginxProcess() { stop(); }

}  // namespace trit::test
