// trit run: one prompt, streamed to stdout; speeds to stderr.
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/engine_options.h"
#include "cli/value_checks.h"
#include "cli/model_ref.h"
#include "engine/conversation.h"
#include "engine/prompt.h"
#include "util/error.h"
#include "util/log.h"

namespace trit::cli {
namespace {

struct RunCommand {
  ModelRefOptions model;
  EngineFlags engine_flags;
  ChatTemplateFlag chat_template;
  SamplingFlags sampling;
  SpeculationFlags speculation;
  int64_t thinking_budget = -1;
  std::string prompt, prompt_file, system;
  int64_t n_predict = -1;
  bool raw = false, no_think = false, truncate = false, verbose_prompt = false;

  void setup(CLI::App& app) {
    model.add_to(app);
    engine_flags.add_to(app);
    chat_template.add_to(app);
    sampling.add_to(app);
    speculation.add_to(app);
    app.add_option("-p,--prompt", prompt, "The prompt");
    app.add_option("-f,--file", prompt_file, "Read the prompt from a file");
    app.add_option("-n,--n-predict", n_predict, "Most tokens to generate (-1: until the context is full)")
        ->capture_default_str()
        ->check(whole_number(-1, int64_t(1) << 24, "tokens"));
    app.add_option("--sys,--system", system, "System message (chat format only)");
    app.add_flag("--raw", raw, "Use the prompt as it is, without the chat format");
    app.add_flag("--verbose-prompt", verbose_prompt, "Print the prompt (as its tokens decode) to stderr first");
    app.add_flag("--no-think", no_think, "Ask the model not to think first (enable_thinking=false)");
    add_thinking_budget(app, thinking_budget);
    app.add_flag("--truncate-prompt", truncate, "Keep only the end of a prompt longer than the context");
  }

  int run() {
    if (!prompt_file.empty()) {
      std::error_code ec;
      if (std::filesystem::is_directory(prompt_file, ec)) fail(prompt_file, " is a directory, not a prompt file");
      std::FILE* f = std::fopen(prompt_file.c_str(), "rb");
      if (!f) fail(prompt_file, ": cannot open the prompt file");
      char buf[65536];
      size_t n;
      prompt.clear();
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) prompt.append(buf, n);
      std::fclose(f);
    }
    if (prompt.empty()) fail("no prompt: give -p TEXT or -f FILE");
    chat_template.check();
    speculation.check();
    engine::Engine engine(model.resolve(), engine_flags.resolve());
    log_info(engine.describe());
    const engine::SpeculationOptions drafting = speculation.resolve(engine);

    const tokenizer::Tokenizer& tok = engine.tokenizer();
    std::vector<int32_t> tokens;
    if (raw) {
      tokens = engine::encode_prompt(tok, prompt, /*parse_special=*/true);  // --raw: the operator writes markup
    } else {
      std::vector<tokenizer::ChatMessage> messages = engine::system_messages(system);
      messages.push_back({"user", prompt, std::nullopt, {}});
      tokens = engine::chat_prompt(tok, engine::chat_format_of(tok, chat_template.file), messages, engine::thinking_options(no_think));
    }
    if (verbose_prompt) std::fprintf(stderr, "%s\n", tok.decode(tokens).c_str());
    const int64_t room = engine.context() - 1;
    if (static_cast<int64_t>(tokens.size()) > room) {
      if (!truncate)
        fail("the prompt is ", tokens.size(), " tokens but the context holds ", engine.context(),
             " (raise -c, shorten the prompt, or pass --truncate-prompt to keep its end)");
      log_warn(cat("prompt truncated from ", tokens.size(), " to its last ", room / 2, " tokens"));
      tokens.erase(tokens.begin(), tokens.end() - room / 2);
    }

    engine::GenerateOptions options;
    options.max_tokens = n_predict;
    options.sampling = sampling.resolve();
    options.thinking_budget = thinking_budget;
    options.speculation = drafting;
    engine::Conversation conversation(engine);
    auto stats = conversation.generate(tokens, options, [](const std::string& piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::printf("\n");
    std::fflush(stdout);
    std::fprintf(stderr, "prompt: %lld tokens, %.2f tokens/s | decode: %lld tokens, %.2f tokens/s%s\n",
                 static_cast<long long>(stats.prompt_computed), stats.prompt_tokens_per_second(),
                 static_cast<long long>(stats.generated_tokens), stats.decode_tokens_per_second(),
                 draft_summary(stats).c_str());
    return 0;
  }
};

CommandRegistration registration("run", "Generate text for one prompt", [](CLI::App& app) {
  auto command = std::make_shared<RunCommand>();
  command->setup(app);
  return [command] { return command->run(); };
});

}  // namespace
}  // namespace trit::cli
