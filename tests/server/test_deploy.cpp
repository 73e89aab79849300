// The systemd unit in deploy/ passes `systemd-analyze verify` (a misspelt or unknown directive, a
// bad value or a missing executable is reported there, and systemd itself would only log and
// ignore it). Its ExecStart is pointed at the built binary and its EnvironmentFile at the shipped
// deploy/trit.env, since neither is installed here. (The nginx example is run by test_nginx.cpp;
// the Containerfile needs an image registry and is not built by the tests.)
#include <gtest/gtest.h>

#include "common/test_util.h"

namespace trit {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

TEST(Deploy, SystemdUnitPassesSystemdAnalyzeVerify) {
  if (test::run_command("command -v systemd-analyze").exit_code != 0)
    GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
  std::string unit = test::read_file(test::source_dir() + "/deploy/trit.service");
  ASSERT_NE(unit.find("ExecStart=/usr/local/bin/trit serve"), std::string::npos);
  replace_all(unit, "/usr/local/bin/trit", test::trit_bin());
  replace_all(unit, "/etc/trit/trit.env", test::source_dir() + "/deploy/trit.env");
  const std::string path = test::scratch_dir() + "/trit.service";
  test::write_file(path, unit);

  test::CommandResult verify = test::run_command("systemd-analyze verify " + test::shell_quote(path));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Unknown keys and bad values are warnings with exit code 0: any output about the unit fails.
  EXPECT_EQ(verify.err.find("trit.service"), std::string::npos) << verify.err;
  EXPECT_EQ(verify.out.find("trit.service"), std::string::npos) << verify.out;
}

}  // namespace
}  // namespace trit
