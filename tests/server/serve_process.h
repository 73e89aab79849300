// Starts `trit serve` on a free 127.0.0.1 port (--port 0; the port is read from its first stdout
// line), waits until /health is 200 (or only for the port), and stops it with SIGTERM (SIGKILL after 10 s) when
// destroyed. Its stderr goes to a log file kept for failure messages.
#pragma once
#include <string>
#include <sys/types.h>

namespace trit::test {

class ServeProcess {
 public:
  enum class Wait { ready, listening };  // until /health is 200, or only until the port is known
  // args: everything after "trit serve" except --host/--port (shell syntax); env: NAME=VALUE
  // assignments for the server's environment (shell syntax). Without --drain-seconds in args the
  // server gets --drain-seconds 0, so that stop() cancels what runs at once instead of draining.
  explicit ServeProcess(const std::string& args, int ready_timeout_s = 120, Wait wait = Wait::ready,
                        const std::string& env = "");
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool ok() const { return port_ > 0 && ready_; }
  bool listening() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const;  // the server's stderr so far
  // A gauge or counter (a line "NAME VALUE") from its /metrics; -1 when it does not answer or
  // lacks the name.
  double metric(const std::string& name) const;
  // Stops the server; returns its exit status (0 after a clean SIGTERM shutdown).
  int stop();
  // Sends `sig` and nothing more (stop() would send a second SIGTERM).
  void signal(int sig) const;
  // Waits up to timeout_s for the server to exit by itself: its exit status, or -1 when it still
  // runs (it is then killed).
  int wait_exit(int timeout_s);

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  bool ready_ = false;
  int exit_status_ = -1;
  std::string log_path_;
};

}  // namespace trit::test
