#include "engine/perplexity.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "util/error.h"
#include "util/timer.h"

namespace trit::engine {
namespace {

// What one scored position contributes.
struct RowResult {
  double nll_model = 0;
  double nll_base = 0;
  double kl = 0;
  double delta_p = 0;
  bool same_top = false;
  float target_log_prob = 0;  // for --save-logits
  float rest_log_prob = 0;
};

class Evaluator {
 public:
  Evaluator(const PerplexityInputs& in, const WindowPlan& plan) : in_(in), plan_(plan) {
    Engine& model = *in.model;
    vocab_ = model.config().n_vocab;
    if (plan.context > model.context())
      fail("the window of ", plan.context, " tokens is larger than the engine context of ", model.context());
    kv_model_ = model.new_sequence();
    if (in.base) {
      if (in.base->config().n_vocab != vocab_)
        fail("the base model has a vocabulary of ", in.base->config().n_vocab, " but the model ", vocab_,
             ": KL divergence needs the same vocabulary");
      if (plan.context > in.base->context())
        fail("the window of ", plan.context, " tokens is larger than the base engine context of ", in.base->context());
      kv_base_ = in.base->new_sequence();
    }
    if (in.base_logits) check_saved(*in.base_logits);
    if (in.save) {
      save_k_ = std::min<int64_t>(in.save_top_k, vocab_);
      if (save_k_ < 1) fail("--save-top-k must be at least 1");
    }
  }

  void run_window(int64_t w, PerplexityResult& result, KlStats& kl, MeanStats& base_nll) {
    const int64_t c = plan_.context, first = plan_.first();
    window_.assign(plan_.tokens.begin() + w * c, plan_.tokens.begin() + (w + 1) * c);
    // Position 0 is never a target (first >= 2), so the BOS substitution cannot change a score.
    if (in_.model->tokenizer().add_bos()) window_[0] = in_.model->tokenizer().bos_id();
    kv_model_->clear();
    if (kv_base_) kv_base_->clear();
    const int64_t batch = std::max<int64_t>(1, in_.model->options().batch);
    for (int64_t s = 0; s < first; s += batch) {
      const int64_t n = std::min(batch, first - s);
      step(*in_.model, *kv_model_, s, n, false);
      if (in_.base) step(*in_.base, *kv_base_, s, n, false);
    }
    for (int64_t s = first; s < c; s += batch) {
      const int64_t n = std::min(batch, c - s);
      const float* model_logits = step(*in_.model, *kv_model_, s, n, true);
      const float* base_logits = in_.base ? step(*in_.base, *kv_base_, s, n, true) : nullptr;
      score(s, std::min(s + n, c - 1), model_logits, base_logits, result, kl, base_nll);
    }
  }

 private:
  void check_saved(SavedLogitsReader& r) {
    const SavedLogitsHeader& h = r.header();
    if (h.n_vocab != static_cast<uint64_t>(vocab_))
      fail("the saved logits are for a vocabulary of ", h.n_vocab, " but the model has ", vocab_);
    if (h.context != static_cast<uint64_t>(plan_.context) || h.n_windows != static_cast<uint64_t>(plan_.n_windows))
      fail("the saved logits cover ", h.n_windows, " windows of ", h.context, " tokens but this run has ", plan_.n_windows,
           " windows of ", plan_.context, " (use the same -c and --chunks)");
    for (size_t i = 0; i < plan_.tokens.size(); ++i)
      if (r.tokens()[i] != plan_.tokens[i])
        fail("the saved logits were made on another text or tokenizer: token ", i, " is ", r.tokens()[i], " there and ",
             plan_.tokens[i], " here");
  }

  const float* step(Engine& engine, model::SequenceMemory& kv, int64_t start, int64_t n, bool all_logits) {
    model::SequenceStep s{&kv, std::span<const int32_t>(window_.data() + start, static_cast<size_t>(n)), all_logits};
    return engine.forward().run(std::span<const model::SequenceStep>(&s, 1)).data();
  }

  // Scores positions [begin, end) of the window; the logits rows start at position `begin`.
  void score(int64_t begin, int64_t end, const float* model_logits, const float* base_logits, PerplexityResult& result,
             KlStats& kl, MeanStats& base_nll) {
    const int64_t count = end - begin;
    if (count <= 0) return;
    rows_.assign(count, RowResult{});
    if (in_.base_logits) {
      records_.resize(count);
      for (SavedRecord& r : records_) in_.base_logits->next(r);
    }
    if (in_.save) top_.resize(count * save_k_);
    const int64_t V = vocab_;
    exps_.resize(in_.model->pool().size());
    in_.model->pool().parallel_for(count, 1, [&](size_t b, size_t e, int thread) {
      for (size_t i = b; i < e; ++i) {
        const int64_t j = begin + static_cast<int64_t>(i);
        const int32_t target = window_[j + 1];
        const float* lm = model_logits + i * V;
        const RowSoftmax ms = row_softmax(lm, V);
        RowResult& out = rows_[i];
        const double lp_model = ms.log_prob(lm[target]);
        out.nll_model = -lp_model;
        if (base_logits) {
          const float* lb = base_logits + i * V;
          std::vector<float>& exps = exps_[thread];
          exps.resize(V);
          const RowSoftmax bs = row_softmax(lb, V, exps.data());
          out.nll_base = -bs.log_prob(lb[target]);
          out.kl = kl_divergence(lb, bs, exps.data(), lm, ms, V);
          out.same_top = bs.argmax == ms.argmax;
        } else if (in_.base_logits) {
          const SavedRecord& r = records_[i];
          out.nll_base = -double(r.target_log_prob);
          out.kl = kl_divergence_top_k(r.top.data(), static_cast<int64_t>(r.top.size()), r.rest_log_prob, lm, ms);
          out.same_top = static_cast<int64_t>(r.top[0].id) == ms.argmax;
        }
        out.delta_p = std::exp(lp_model) - std::exp(-out.nll_base);
        if (in_.save) {
          out.target_log_prob = static_cast<float>(lp_model);
          top_k(lm, ms, V, save_k_, &top_[i * save_k_], &out.rest_log_prob);
        }
      }
    });
    for (int64_t i = 0; i < count; ++i) {
      const RowResult& r = rows_[i];
      result.model_nll.add(r.nll_model);
      if (in_.base || in_.base_logits) {
        base_nll.add(r.nll_base);
        kl.add(r.kl, r.same_top, r.delta_p);
      }
      if (in_.save) in_.save->add(r.target_log_prob, r.rest_log_prob, &top_[i * save_k_]);
    }
  }

  const PerplexityInputs& in_;
  const WindowPlan& plan_;
  int64_t vocab_ = 0;
  int64_t save_k_ = 0;
  std::unique_ptr<model::SequenceMemory> kv_model_, kv_base_;
  std::vector<int32_t> window_;
  std::vector<RowResult> rows_;
  std::vector<SavedRecord> records_;
  std::vector<TopEntry> top_;
  std::vector<std::vector<float>> exps_;  // per thread: the base row's exponentials
};

}  // namespace

WindowPlan plan_windows(const tokenizer::Tokenizer& tokenizer, std::string_view text, int64_t context,
                        int64_t max_windows) {
  if (context < 4) fail("the window (-c) must be at least 4 tokens, got ", context);
  WindowPlan plan;
  plan.context = context;
  std::vector<int32_t> tokens = tokenizer.encode(text, /*parse_special=*/false);
  plan.text_tokens = static_cast<int64_t>(tokens.size());
  plan.n_windows = plan.text_tokens / context;
  if (max_windows >= 0) plan.n_windows = std::min(plan.n_windows, max_windows);
  if (plan.n_windows == 0)
    fail("the text has ", plan.text_tokens, " tokens: perplexity needs at least one window of ", context,
         " (use a longer text or a smaller -c)");
  tokens.resize(plan.n_windows * context);
  plan.tokens = std::move(tokens);
  return plan;
}

PerplexityResult evaluate_perplexity(const PerplexityInputs& inputs, const WindowPlan& plan, const WindowDone& on_window) {
  if (!inputs.model) fail("perplexity: no model");
  if (inputs.base && inputs.base_logits) fail("give either a base model or saved base logits, not both");
  Timer timer;
  Evaluator evaluator(inputs, plan);
  PerplexityResult result;
  result.context = plan.context;
  result.n_windows = plan.n_windows;
  result.text_tokens = plan.text_tokens;
  KlStats kl;
  MeanStats base_nll;
  for (int64_t w = 0; w < plan.n_windows; ++w) {
    evaluator.run_window(w, result, kl, base_nll);
    if (on_window) on_window(w + 1, result.model_nll);
  }
  if (inputs.save) inputs.save->finish();
  result.scored = static_cast<int64_t>(result.model_nll.count);
  result.model_ppl = perplexity_of(result.model_nll);
  if (inputs.base || inputs.base_logits) {
    result.base_ppl = perplexity_of(base_nll);
    result.kl = kl.summary();
    if (inputs.base_logits) {
      const SavedLogitsHeader& h = inputs.base_logits->header();
      result.kl_exact = h.top_k >= h.n_vocab;
      result.kl_top_k = h.top_k;
    }
  }
  result.seconds = timer.seconds();
  const double tokens = double(plan.n_windows) * double(plan.context) * (inputs.base ? 2.0 : 1.0);
  result.tokens_per_second = result.seconds > 0 ? tokens / result.seconds : 0.0;
  return result;
}

}  // namespace trit::engine
