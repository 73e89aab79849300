#include "engine/conversation.h"

#include "engine/stop_strings.h"
#include "tokenizer/stream_decoder.h"
#include "util/error.h"
#include "util/timer.h"

namespace trit::engine {

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::end_of_generation: return "stop";
    case StopReason::stop_string: return "stop";
    case StopReason::max_tokens: return "length";
    case StopReason::context_full: return "length";
    case StopReason::cancelled: return "cancelled";
  }
  return "stop";
}

Conversation::Conversation(Engine& engine) : engine_(engine), kv_(engine.new_sequence()) {}

void Conversation::reset() {
  kv_->truncate(0);
  tokens_.clear();
}

const std::vector<float>& Conversation::feed(const std::vector<int32_t>& prompt, size_t from) {
  const std::vector<float>* logits = nullptr;
  const size_t batch = static_cast<size_t>(engine_.options().batch);
  for (size_t begin = from; begin < prompt.size(); begin += batch) {
    size_t n = std::min(batch, prompt.size() - begin);
    model::SequenceStep step{kv_.get(), std::span<const int32_t>(prompt.data() + begin, n), false};
    logits = &engine_.forward().run(std::span<const model::SequenceStep>(&step, 1));
  }
  return *logits;
}

GenerateStats Conversation::generate(const std::vector<int32_t>& prompt, const GenerateOptions& options,
                                     const TextCallback& on_text, const std::atomic<bool>* cancel) {
  if (prompt.empty()) fail("the prompt is empty");
  const int64_t context = kv_->capacity();
  if (static_cast<int64_t>(prompt.size()) >= context)
    fail("the prompt is ", prompt.size(), " tokens but the context holds ", context,
         " (raise -c or shorten the prompt)");
  const int64_t n_vocab = engine_.config().n_vocab;
  for (int32_t t : prompt)
    if (t < 0 || t >= n_vocab) fail("prompt token id ", t, " is outside the vocabulary (", n_vocab, ")");

  // Reuse the cached prefix; at least the last prompt token is recomputed to get its logits.
  size_t common = 0;
  while (common < tokens_.size() && common < prompt.size() && tokens_[common] == prompt[common]) ++common;
  if (common == prompt.size()) --common;
  kv_->truncate(static_cast<int64_t>(common));
  tokens_.assign(prompt.begin(), prompt.end());

  GenerateStats stats;
  stats.prompt_tokens = static_cast<int64_t>(prompt.size());
  stats.prompt_computed = static_cast<int64_t>(prompt.size() - common);
  Timer timer;
  std::vector<float> logits = feed(prompt, common);
  stats.prompt_seconds = timer.seconds();

  Sampler sampler(options.sampling);
  tokenizer::StreamDecoder decoder(engine_.tokenizer(), options.skip_special);
  StopStringFilter stops(options.stop);
  const int32_t vocab_size = static_cast<int32_t>(engine_.tokenizer().vocab_size());
  timer.reset();
  bool keep_going = true;
  for (;;) {
    if (cancel && cancel->load()) {
      stats.reason = StopReason::cancelled;
      break;
    }
    if (options.max_tokens >= 0 && stats.generated_tokens >= options.max_tokens) {
      stats.reason = StopReason::max_tokens;
      break;
    }
    if (kv_->length() >= context) {
      stats.reason = StopReason::context_full;
      break;
    }
    // Ids past the tokenizer's vocab (embedding padding) are never sampled.
    int32_t token = sampler.sample(std::span<const float>(logits.data(), vocab_size), tokens_);
    ++stats.generated_tokens;
    if (engine_.tokenizer().is_eog(token)) {
      stats.reason = StopReason::end_of_generation;
      break;
    }
    tokens_.push_back(token);
    std::string text = stops.push(decoder.push(token));
    if (!text.empty()) keep_going = on_text(text);
    if (stops.stopped()) {
      stats.reason = StopReason::stop_string;
      break;
    }
    if (!keep_going) {
      stats.reason = StopReason::cancelled;
      break;
    }
    model::SequenceStep step{kv_.get(), std::span<const int32_t>(&tokens_.back(), 1), false};
    logits = engine_.forward().run(std::span<const model::SequenceStep>(&step, 1));
  }
  stats.decode_seconds = timer.seconds();
  if (!stops.stopped()) {
    std::string rest = stops.push(decoder.flush());
    rest += stops.flush();
    if (!rest.empty() && keep_going) on_text(rest);
  }
  // The cache holds every token except the last sampled one, which was never fed.
  if (static_cast<int64_t>(tokens_.size()) > kv_->length()) tokens_.resize(kv_->length());
  return stats;
}

}  // namespace trit::engine
