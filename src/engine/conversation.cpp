#include "engine/conversation.h"

namespace trit::engine {

Conversation::Conversation(Engine& engine) : engine_(engine), sequence_(engine.new_sequence(), engine.tokenizer()) {}

std::span<const float> Conversation::feed() {
  for (;;) {
    std::span<const int32_t> input = sequence_.next_input(engine_.options().batch);
    const bool last = sequence_.completes(static_cast<int64_t>(input.size()));
    const bool every_row = last && sequence_.verifying();  // drafts: a row to verify each
    model::SequenceStep step{&sequence_.memory(), input, every_row};
    const std::vector<float>& logits = engine_.forward().run(std::span<const model::SequenceStep>(&step, 1));
    if (last)
      return std::span<const float>(logits.data(), static_cast<size_t>(engine_.config().n_vocab) * (every_row ? input.size() : 1));
  }
}

GenerateStats Conversation::generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                                     const TextCallback& on_text, const std::atomic<bool>* cancel, bool ban_eog) {
  check_prompt(prompt, engine_.context(), engine_.config().n_vocab);
  sequence_.start(prompt, options, ban_eog);
  bool keep_going = true;
  StopReason reason = StopReason::end_of_generation;
  try {
    const auto n_vocab = static_cast<size_t>(engine_.config().n_vocab);
    for (bool done = false; !done;) {
      std::span<const float> rows = feed();
      if (cancel && cancel->load()) {
        reason = StopReason::cancelled;
        break;
      }
      sequence_.step_rows(rows, n_vocab, [&](const Sequence::Step& step) {
        if (!step.text.empty()) keep_going = on_text(step.text);
        if (step.stop || !keep_going) {
          reason = step.stop.value_or(StopReason::cancelled);
          done = true;
        }
        return !done;
      });
    }
  } catch (...) {
    sequence_.fail(StopReason::cancelled);
    throw;
  }
  const std::string rest = sequence_.finish(reason);
  if (!rest.empty() && keep_going) on_text(rest);
  return sequence_.stats();
}

}  // namespace trit::engine
