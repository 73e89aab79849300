// trit: one binary, one subcommand per front-end job (see command.h for how they register).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/command.h"
#include "cli/model_ref.h"
#include "cli/terminal_text.h"
#include "util/error.h"

namespace trit::cli {
std::vector<CommandDef>& command_registry() {
  static std::vector<CommandDef> registry;
  return registry;
}
}  // namespace trit::cli

int main(int argc, char** argv) {
  using namespace trit::cli;
  CLI::App app{"trit: fast inference for ternary (1.58-bit) language models in GGUF"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "trit 0.1.0");

  auto& registry = command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandDef& a, const CommandDef& b) { return a.name < b.name; });
  std::map<CLI::App*, CommandRun> runs;
  for (auto& def : registry) {
    CLI::App* sub = app.add_subcommand(def.name, def.description);
    runs[sub] = def.setup(*sub);
  }

  try {
    rewrite_single_dash_long_options(argc, argv);  // "-hf" is not a CLI11 short option
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : runs)
      if (sub->parsed()) return run();
  } catch (const trit::Error& e) {  // may quote a file's text: made safe for the terminal
    std::fprintf(stderr, "error: %s\n", terminal_safe(e.what()).c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", terminal_safe(e.what()).c_str());
    return 1;
  }
  return 0;
}
