#include "engine/slot.h"

#include <algorithm>

namespace trit::engine {

void Slot::start(std::shared_ptr<RequestHandle> request, double queue_seconds, uint64_t tick,
                 const SpeculationOptions& speculation) {
  const ScheduledRequest& r = request->request();
  GenerateOptions options = r.options;
  options.speculation = speculation;
  if (r.draft_max) {
    // On: the server's drafter (a draft model with -md), n-gram lookup when it has none.
    const SpeculationMode on = speculation.mode == SpeculationMode::none ? SpeculationMode::ngram : speculation.mode;
    options.speculation.mode = *r.draft_max > 0 ? on : SpeculationMode::none;
    options.speculation.draft_max = std::max(*r.draft_max, 1);
  }
  if (r.draft_p_min) options.speculation.draft_p_min = *r.draft_p_min;
  if (r.draft_min) options.speculation.draft_min = std::min(*r.draft_min, options.speculation.draft_max);
  sequence_.start(r.prompt, options, r.ignore_eos);
  request_ = std::move(request);
  queue_seconds_ = queue_seconds;
  last_used_ = tick;
  last_.prompt_tokens = static_cast<int64_t>(r.prompt.size());
  last_.generated = 0;
  last_.options = r.options;
  last_.logprobs = r.logprobs;
  last_.ignore_eos = r.ignore_eos;
}

SlotState Slot::state() const {
  SlotState s = last_;
  s.id = id_;
  s.busy = busy();
  s.prefilling = prefilling();
  s.cached = memory().length();
  return s;
}

int Slot::sample(std::span<const float> rows, size_t n_vocab) {
  int sampled = 0;
  sequence_.step_rows(rows, n_vocab, [&](const Sequence::Step& step) {
    handle(step);
    sampled += step.sampled ? 1 : 0;
    return busy();
  });
  return sampled;
}

void Slot::handle(const Sequence::Step& step) {
  const ScheduledRequest& r = request_->request();
  if (step.sampled && step.stop != StopReason::end_of_generation) {
    SampledToken info;
    const bool with_logprobs = r.logprobs >= 0;
    info.token = step.token;
    if (with_logprobs) {
      info.logprob = token_logprob(step.row, step.token).logprob;
      if (r.logprobs > 0) info.top = top_logprobs(step.row, r.logprobs);
    }
    request_->emit(step.text, with_logprobs || r.token_ids ? &info : nullptr);
  }
  if (step.sampled) ++last_.generated;
  if (step.stop) finish(*step.stop);
}

void Slot::finish(StopReason reason, const std::string& error) {
  if (!request_) return;
  if (error.empty()) request_->emit(sequence_.finish(reason), nullptr);
  else sequence_.fail(reason);
  const GenerateStats& stats = sequence_.stats();
  drafted_total_ += stats.drafted_tokens;
  accepted_total_ += stats.accepted_tokens;
  RequestResult result;
  result.reason = reason;
  result.stop_string = stats.stop_string;
  result.error = error;
  result.prompt_tokens = stats.prompt_tokens;
  result.cached_tokens = stats.cached_tokens;
  result.generated_tokens = stats.generated_tokens;
  result.queue_seconds = queue_seconds_;
  result.prompt_seconds = stats.prompt_seconds;
  result.decode_seconds = stats.decode_seconds;
  result.slot = id_;
  request_->finish(result);
  request_.reset();
}

}  // namespace trit::engine
