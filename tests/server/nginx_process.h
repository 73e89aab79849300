// Starts Debian's nginx as the current user on a free 127.0.0.1 port, in the foreground, with
// everything it writes (pid, logs, temp folders) inside one scratch folder, and stops it with
// SIGQUIT (SIGKILL after 10 s) when destroyed. The caller gives the http block's contents.
#pragma once
#include <functional>
#include <string>
#include <sys/types.h>

namespace trit::test {

// The nginx binary (PATH, then /usr/sbin), or "" when it is not installed.
std::string find_nginx();

class NginxProcess {
 public:
  // http_config: the http block's contents for the port chosen (its server must listen on
  // 127.0.0.1:PORT). Waits until GET `ready_path` through nginx answers 200.
  NginxProcess(const std::string& nginx, const std::string& dir,
               const std::function<std::string(int port)>& http_config, const std::string& ready_path = "/health",
               int ready_timeout_s = 30);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  bool ok() const { return ready_; }
  int port() const { return port_; }
  // The error log and the startup output, for failure messages.
  std::string log() const;
  std::string access_log() const;

 private:
  enum class Start { running, failed, port_taken };
  Start start(const std::string& nginx, const std::string& http_config);
  void stop();

  pid_t pid_ = -1;
  int port_ = -1;
  bool ready_ = false;
  std::string dir_;
};

}  // namespace trit::test
