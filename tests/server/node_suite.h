// Running a Node suite of tests/server/js (official API clients) against a running `trit serve`.
// (test_serve.cpp's OpenAI-client and browser suites use the same two steps.)
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "common/test_util.h"

namespace trit::test {

inline std::string js_suite_dir() { return source_dir() + "/tests/server/js"; }

// A fatal failure when node or the pinned client packages are missing.
inline void require_node_modules() {
  ASSERT_EQ(run_command("node --version").exit_code, 0) << "node is missing: run scripts/setup.sh";
  ASSERT_EQ(run_command("test -d " + shell_quote(js_suite_dir() + "/node_modules/openai")).exit_code, 0)
      << "tests/server/js/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/server/js)";
}

// Runs `node script` in tests/server/js with TRIT_BASE_URL and TRIT_API_KEY set.
inline CommandResult run_node_suite(const std::string& script, const std::string& base_url, const std::string& api_key) {
  return run_command("cd " + shell_quote(js_suite_dir()) + " && TRIT_BASE_URL=" + base_url +
                     " TRIT_API_KEY=" + shell_quote(api_key) + " timeout 300 node " + shell_quote(script));
}

}  // namespace trit::test
