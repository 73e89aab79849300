// Subcommand registration. Each cli/cmd_*.cpp file defines one static CommandRegistration; main()
// builds the CLI11 app from the registry. A command's setup declares its options on the
// subcommand and returns the function that runs it (returning the process exit code).
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace trit::cli {

using CommandRun = std::function<int()>;
using CommandSetup = std::function<CommandRun(CLI::App& sub)>;

struct CommandDef {
  std::string name;
  std::string description;
  CommandSetup setup;
};

std::vector<CommandDef>& command_registry();

struct CommandRegistration {
  CommandRegistration(std::string name, std::string description, CommandSetup setup) {
    command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace trit::cli
