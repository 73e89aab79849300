#include "engine/conversation.h"

namespace trit::engine {

Conversation::Conversation(Engine& engine) : engine_(engine), sequence_(engine.new_sequence(), engine.tokenizer()) {}

std::span<const float> Conversation::feed() {
  const std::vector<float>* logits = nullptr;
  for (;;) {
    std::span<const int32_t> input = sequence_.next_input(engine_.options().batch);
    const bool last = sequence_.completes(static_cast<int64_t>(input.size()));
    model::SequenceStep step{&sequence_.memory(), input, false};
    logits = &engine_.forward().run(std::span<const model::SequenceStep>(&step, 1));
    if (last) break;
  }
  return std::span<const float>(logits->data(), static_cast<size_t>(engine_.config().n_vocab));
}

GenerateStats Conversation::generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                                     const TextCallback& on_text, const std::atomic<bool>* cancel) {
  check_prompt(prompt, engine_.context(), engine_.config().n_vocab);
  sequence_.start(prompt, options);
  bool keep_going = true;
  StopReason reason = StopReason::end_of_generation;
  try {
    for (;;) {
      std::span<const float> logits = feed();
      if (cancel && cancel->load()) {
        reason = StopReason::cancelled;
        break;
      }
      Sequence::Step step = sequence_.step(logits);
      if (!step.text.empty()) keep_going = on_text(step.text);
      if (step.stop || !keep_going) {
        reason = step.stop.value_or(StopReason::cancelled);
        break;
      }
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
