// trit chat: an interactive multi-turn conversation in the model's chat format. Works on a
// terminal and with piped stdin (one user message per line). /clear starts over, /exit quits.
// Ctrl-C stops the answer being written; at the prompt it quits.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/value_checks.h"
#include "cli/model_ref.h"
#include "engine/conversation.h"
#include "engine/prompt.h"
#include "tokenizer/chat.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {
namespace {

std::atomic<bool> g_generating{false};
std::atomic<bool> g_cancel{false};

extern "C" void on_interrupt(int) {
  if (g_generating.load()) {
    g_cancel.store(true);
  } else {
    const char newline = '\n';
    (void)!write(STDOUT_FILENO, &newline, 1);
    _exit(130);
  }
}

struct ChatCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  ChatTemplateFlag chat_template;
  SamplingFlags sampling;
  SpeculationFlags speculation;
  int64_t thinking_budget = -1;
  std::string system;
  int64_t n_predict = -1;
  bool no_think = false;

  void setup(CLI::App& app) {
    model.add_to(app);
    engine_flags.add_to(app);
    chat_template.add_to(app);
    sampling.add_to(app);
    speculation.add_to(app);
    app.add_option("--sys,--system", system, "System message");
    app.add_option("-n,--n-predict", n_predict, "Most tokens per answer (-1: until the context is full)")
        ->capture_default_str()
        ->check(whole_number(-1, int64_t(1) << 24, "tokens"));
    app.add_flag("--no-think", no_think, "Ask the model not to think first (enable_thinking=false)");
    add_thinking_budget(app, thinking_budget);
  }

  int run() {
    chat_template.check();
    speculation.check();
    engine::Engine engine(model.resolve(), engine_flags.resolve());
    log_info(engine.describe());
    const engine::SpeculationOptions drafting = speculation.resolve(engine);
    const auto format = engine::chat_format_of(engine.tokenizer(), chat_template.file);

    const bool interactive = isatty(STDIN_FILENO);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    if (interactive)
      std::fprintf(stderr, "Type a message and press Enter. /clear starts over, /exit quits, Ctrl-C stops an answer.\n");

    engine::GenerateOptions options;
    options.max_tokens = n_predict;
    options.sampling = sampling.resolve();
    options.thinking_budget = thinking_budget;
    options.speculation = drafting;
    const tokenizer::ChatOptions chat_options = engine::thinking_options(no_think);

    engine::Conversation conversation(engine);
    std::vector<tokenizer::ChatMessage> messages;
    auto start_over = [&] {
      messages = engine::system_messages(system);
      conversation.reset();
    };
    start_over();

    std::string line;
    for (;;) {
      if (interactive) {
        std::printf("> ");
        std::fflush(stdout);
      }
      if (!std::getline(std::cin, line)) break;
      if (line == "/exit" || line == "/quit") break;
      if (line == "/clear") {
        start_over();
        std::fprintf(stderr, "(conversation cleared)\n");
        continue;
      }
      if (line.empty()) continue;
      messages.push_back({"user", line, std::nullopt, {}});
      std::vector<int32_t> prompt = fit_to_context(engine, format, messages, chat_options);
      if (prompt.empty()) {
        messages.pop_back();
        std::fprintf(stderr, "error: that message alone does not fit in the context of %lld tokens\n",
                     static_cast<long long>(engine.context()));
        continue;
      }

      tokenizer::ChatOutputParser parser(false);
      g_cancel.store(false);
      g_generating.store(true);
      auto stats = conversation.generate(prompt, options, [&](const std::string& piece) {
        parser.feed(piece);
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
      }, &g_cancel);
      g_generating.store(false);
      parser.finish();
      std::printf("\n");
      std::fflush(stdout);
      if (stats.reason == engine::StopReason::cancelled) std::fprintf(stderr, "(stopped)\n");
      std::fprintf(stderr, "[%lld tokens, %.2f tokens/s%s; prompt %lld tokens, %.2f tokens/s]\n",
                   static_cast<long long>(stats.generated_tokens), stats.decode_tokens_per_second(),
                   draft_summary(stats).c_str(), static_cast<long long>(stats.prompt_computed),
                   stats.prompt_tokens_per_second());

      const auto& output = parser.output();
      tokenizer::ChatMessage answer{"assistant", output.content, std::nullopt, {}};
      if (!output.reasoning.empty()) answer.reasoning_content = output.reasoning;
      for (const auto& call : output.tool_calls) answer.tool_calls.push_back({call.name, call.arguments});
      messages.push_back(std::move(answer));
    }
    return 0;
  }

  // The rendered conversation as tokens, dropping the oldest turns (never the system message)
  // until it leaves room to answer. Empty when even the last message alone does not fit.
  static std::vector<int32_t> fit_to_context(engine::Engine& engine, const tokenizer::ChatFormat& format,
                                             std::vector<tokenizer::ChatMessage>& messages,
                                             const tokenizer::ChatOptions& options) {
    const int64_t room = engine.context() * 3 / 4;
    for (;;) {
      std::vector<int32_t> tokens = engine::chat_prompt(engine.tokenizer(), format, messages, options);
      if (static_cast<int64_t>(tokens.size()) <= room) return tokens;
      size_t first = !messages.empty() && messages[0].role == "system" ? 1 : 0;
      if (messages.size() - first <= 1) return {};
      messages.erase(messages.begin() + first);
      std::fprintf(stderr, "(the oldest message was dropped to fit the context)\n");
    }
  }
};

CommandRegistration registration("chat", "Chat with the model interactively", [](CLI::App& app) {
  auto command = std::make_shared<ChatCommand>();
  command->setup(app);
  return [command] { return command->run(); };
});

}  // namespace
}  // namespace trit::cli
