// Helpers shared by the test binaries: scratch folders, running the trit binary, locating
// ../shared and generated models.
#pragma once
#include <string>

namespace trit::test {

struct CommandResult {
  int exit_code = -1;   // -1 when the process died from a signal
  int signal = 0;       // the signal that ended it, if any
  std::string out;      // stdout
  std::string err;      // stderr
};

// Runs a shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command_line);
// Runs `trit ARGS` (ARGS is shell syntax).
CommandResult run_trit(const std::string& args);

// A fresh, empty folder for the current test (under the build tree).
std::string scratch_dir();
std::string trit_bin();
std::string source_dir();
std::string shared_dir();
bool have_shared();

// Path of a cached mkmodel output for (preset, type, seed, extra args); made on first use.
std::string make_model(const std::string& preset, const std::string& type, int seed = 1,
                       const std::string& extra_args = "");

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);
std::string shell_quote(const std::string& s);

// A loopback TCP port that was free a moment ago (whoever binds it next should retry on a clash).
int free_loopback_port();

}  // namespace trit::test
