// The continuous-batching scheduler on a small synthetic model: batched output equals the same
// request run alone at temperature 0 (with chunked prefill interleaved with decoding), prefix
// reuse picks the slot holding the conversation, cancellation, the bounded queue, and limits.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/test_util.h"
#include "kernels/kv_rows.h"
#include "engine/scheduler.h"
#include "util/error.h"
#include "util/memory_info.h"

namespace trit {
namespace {

using namespace std::chrono_literals;

engine::SchedulerOptions options(int slots, int queue_limit, int64_t prefill_chunk) {
  engine::SchedulerOptions o;
  o.slots = slots;
  o.queue_limit = queue_limit;
  o.prefill_chunk = prefill_chunk;
  o.context_per_slot = 256;  // of the engine's pool of 1024 (-c): room for 4 slots of 256
  return o;
}

struct Finished {
  std::string text;
  engine::RequestResult result;
};

Finished drain(engine::RequestHandle& h) {
  Finished f;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  for (;;) {
    engine::RequestOutput out = h.take(100ms);
    f.text += out.text;
    if (out.done) {
      f.result = out.result;
      return f;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "request did not finish in time";
      h.cancel();
      return f;
    }
  }
}

engine::ScheduledRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  engine::ScheduledRequest r;
  r.prompt = std::move(prompt);
  r.options.max_tokens = max_tokens;
  r.options.sampling.temperature = 0.0f;
  return r;
}

// Every test runs on a dense Qwen3 model (KV cache only) and on a qwen35 hybrid (KV cache plus
// recurrent state per slot, reused through checkpoints).
class SchedulerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;  // the test machine is shared: a single thread avoids pool contention
    o.context = 1024;
    engine_ = std::make_unique<engine::Engine>(model(), o);
  }
  static std::string model() { return test::make_model(GetParam(), GetParam() == "tiny" ? "q2_0" : "pq2_0", 7); }
  std::vector<int32_t> prompt(const std::string& text) { return engine_->tokenizer().encode(text); }
  std::unique_ptr<engine::Engine> engine_;
};

TEST_P(SchedulerTest, BatchedOutputEqualsAloneAtTemperatureZero) {
  const std::vector<std::string> texts = {"The whale", "Call me Ishmael. Some years ago, never mind how long",
                                          "a", "It was the best of times, it was the worst of times",
                                          "Hello there", "ship", "The sea was calm and the sky was grey over the harbour",
                                          "Queequeg"};
  std::vector<std::string> alone;
  {
    engine::Scheduler one(*engine_, options(1, 64, 512));
    for (const auto& t : texts) {
      auto h = one.submit(greedy(prompt(t), 24));
      ASSERT_TRUE(h);
      alone.push_back(drain(*h).text);
    }
  }
  // 4 slots, 8 requests at once, and a prefill chunk of 5 so prompts are fed over several steps
  // while other slots decode: rows of very different kinds share every step.
  engine::Scheduler many(*engine_, options(4, 64, 5));
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;
  for (const auto& t : texts) handles.push_back(many.submit(greedy(prompt(t), 24)));
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(handles[i]);
    Finished f = drain(*handles[i]);
    EXPECT_EQ(f.text, alone[i]) << "request " << i << " (" << texts[i] << ") differs when batched";
    EXPECT_EQ(f.result.generated_tokens <= 24, true);
    EXPECT_GT(f.result.generated_tokens, 0);
  }
  auto m = many.metrics();
  EXPECT_EQ(m.requests_total, 8);
  EXPECT_GT(m.generated_tokens_total, 8);
  // Steps carried several sequences: far fewer steps than tokens generated plus prompt chunks.
  EXPECT_LT(m.steps_total, m.generated_tokens_total);
}

// The n choices of one prompt submitted together: the first feeds the prompt, the others wait for
// that prefill and copy its KV rows (a KV cache only; recurrent state computes it in each slot),
// and the output is the same as alone.
TEST_P(SchedulerTest, ChoicesOfOnePromptShareItsPrefill) {
  const std::vector<int32_t> p = prompt("Call me Ishmael. Some years ago, never mind how long precisely, having little");
  ASSERT_GT(p.size(), 40u);
  std::string alone;
  {
    engine::Scheduler one(*engine_, options(1, 64, 512));
    alone = drain(*one.submit(greedy(p, 12))).text;
  }
  engine::Scheduler s(*engine_, options(3, 64, 512));
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(s.submit(greedy(p, 12)));
  const bool copies = engine_->new_sequence()->copies_prefix();
  std::set<int> slots;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(handles[i]);
    Finished f = drain(*handles[i]);
    EXPECT_EQ(f.text, alone) << "choice " << i;
    slots.insert(f.result.slot);
    if (i > 0 && copies) {
      EXPECT_EQ(f.result.cached_tokens, static_cast<int64_t>(p.size()) - 1) << "choice " << i;
    }
  }
  EXPECT_EQ(slots.size(), 3u) << "the choices ran side by side";
  if (copies) {
    EXPECT_EQ(s.metrics().prompt_tokens_computed, static_cast<int64_t>(p.size()) + 2);
  }
}

TEST_P(SchedulerTest, FollowUpTurnReusesTheSlotHoldingTheConversation) {
  engine::Scheduler s(*engine_, options(3, 64, 512));
  // Occupy the slots' caches with different conversations.
  std::vector<std::vector<int32_t>> prompts = {prompt("first conversation about whales"),
                                               prompt("second one, about ships"), prompt("third: the sea")};
  std::vector<int> slot_of;
  std::vector<std::string> answers;
  for (auto& p : prompts) {
    auto h = s.submit(greedy(p, 8));
    Finished f = drain(*h);
    slot_of.push_back(f.result.slot);
    answers.push_back(f.text);
  }
  EXPECT_NE(slot_of[0], slot_of[1]);
  EXPECT_NE(slot_of[1], slot_of[2]);
  // Follow-up of the second: its prompt + answer + more text.
  std::vector<int32_t> follow = prompts[1];
  auto more = prompt(answers[1] + " and then?");
  follow.insert(follow.end(), more.begin(), more.end());
  auto h = s.submit(greedy(follow, 4));
  Finished f = drain(*h);
  EXPECT_EQ(f.result.slot, slot_of[1]);
  // The KV cache keeps the whole shared prefix; recurrent state at least its checkpoint before
  // the first prompt's last token (all of it when the answer re-encodes to the same tokens).
  const bool checkpoints = engine_->new_sequence()->takes_checkpoints();
  EXPECT_GE(f.result.cached_tokens, static_cast<int64_t>(prompts[1].size()) - (checkpoints ? 1 : 0));
  EXPECT_EQ(s.metrics().prompt_tokens_cached, f.result.cached_tokens);
}

// One slot, so every new prompt evicts the last conversation: with a RAM prompt cache, a prompt
// seen before takes its prefix from there (the same text, cached_tokens, a hit in the metrics);
// without one it is computed again. The hybrid model's recurrent state is never kept.
TEST_P(SchedulerTest, RamPromptCacheAnswersAnEvictedPrompt) {
  std::string long_text;
  for (int i = 0; i < 3; ++i) long_text += "Call me Ishmael. Some years ago, never mind how long precisely. ";
  const std::vector<int32_t> a = prompt(long_text), b = prompt("A different conversation about ships and the sea");
  for (size_t cache_bytes : {size_t(64) << 20, size_t(0)}) {
    engine::SchedulerOptions o = options(1, 64, 512);
    o.prompt_cache_bytes = cache_bytes;
    engine::Scheduler s(*engine_, o);
    const bool kept = cache_bytes > 0 && engine_->new_sequence()->copies_prefix();
    EXPECT_EQ(s.keeps_prompts(), kept);
    const Finished first = drain(*s.submit(greedy(a, 6)));
    drain(*s.submit(greedy(b, 6)));  // takes the only slot: `a` leaves it
    const Finished again = drain(*s.submit(greedy(a, 6)));
    EXPECT_EQ(again.text, first.text);
    const engine::SchedulerMetrics m = s.metrics();
    if (kept) {
      EXPECT_EQ(again.result.cached_tokens, static_cast<int64_t>(a.size()) - 1) << "all but the last prompt token";
      EXPECT_EQ(m.prompt_cache_hits, 1);
      EXPECT_GE(m.prompt_cache_entries, 1);
      EXPECT_GT(m.prompt_cache_bytes, 0);
    } else {
      EXPECT_LT(again.result.cached_tokens, 16) << "only what `b` happens to share with `a`";
      EXPECT_EQ(m.prompt_cache_hits, 0);
      EXPECT_EQ(m.prompt_cache_entries, 0);
    }
  }
}

// A prompt cache larger than the machine is cut to half of what the slots leave (with a warning),
// never allowed to grow into swap.
TEST_P(SchedulerTest, PromptCacheIsCappedByTheMemoryTheSlotsLeave) {
  const std::optional<size_t> available = available_memory_bytes();
  if (!available) GTEST_SKIP() << "this system does not report its available memory";
  engine::SchedulerOptions o = options(2, 64, 512);
  o.prompt_cache_bytes = size_t{1} << 50;  // 1 PiB
  engine::Scheduler s(*engine_, o);
  EXPECT_LE(s.options().prompt_cache_bytes, *available / 2);
  o.prompt_cache_bytes = size_t{1} << 20;  // 1 MiB fits
  engine::Scheduler small(*engine_, o);
  EXPECT_EQ(small.options().prompt_cache_bytes, size_t{1} << 20);
}

TEST_P(SchedulerTest, CancelStopsAGeneration) {
  // A long context so that the generation cannot end by itself before the cancel lands.
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 16384;
  engine::Engine big(model(), o);
  engine::SchedulerOptions whole = options(1, 64, 512);
  whole.context_per_slot = 0;  // all of the pool
  engine::Scheduler s(big, whole);
  auto r = greedy(big.tokenizer().encode("go on forever"), -1);
  // A second request waits in the queue behind the first and is cancelled there.
  auto h = s.submit(r);
  auto queued = s.submit(r);
  ASSERT_TRUE(h && queued);
  queued->cancel();
  // Wait for some output, then cancel.
  std::string text;
  for (int i = 0; i < 200 && text.size() < 4; ++i) text += h->take(20ms).text;
  h->cancel();
  Finished f = drain(*h);
  EXPECT_EQ(f.result.reason, engine::StopReason::cancelled);
  EXPECT_LT(f.result.generated_tokens, 16000);  // not run to the end of the context
  Finished q = drain(*queued);
  EXPECT_EQ(q.result.reason, engine::StopReason::cancelled);
  EXPECT_EQ(q.result.generated_tokens, 0);
  EXPECT_EQ(s.metrics().requests_cancelled, 2);
}

TEST_P(SchedulerTest, FullQueueRefusesAndContextIsEnforced) {
  engine::Scheduler s(*engine_, options(1, 1, 512));
  // The first may be taken by the slot at once; keep submitting until one is refused.
  std::vector<std::shared_ptr<engine::RequestHandle>> accepted;
  bool refused = false;
  for (int i = 0; i < 4 && !refused; ++i) {
    auto h = s.submit(greedy(prompt("long running request"), 200));
    if (h) accepted.push_back(h); else refused = true;
  }
  EXPECT_TRUE(refused);
  EXPECT_LE(accepted.size(), 3u);
  EXPECT_GE(s.metrics().requests_rejected, 1);
  for (auto& h : accepted) h->cancel();
  for (auto& h : accepted) drain(*h);

  std::vector<int32_t> too_long(256, 65);
  EXPECT_THROW(s.submit(greedy(too_long, 4)), Error);
  EXPECT_THROW(s.submit(greedy({}, 4)), Error);
  // A prompt that just fits stops at the end of the context with reason context_full.
  std::vector<int32_t> nearly(250, 65);
  auto h = s.submit(greedy(nearly, -1));
  ASSERT_TRUE(h);
  Finished f = drain(*h);
  if (f.result.reason != engine::StopReason::end_of_generation) {
    EXPECT_EQ(f.result.reason, engine::StopReason::context_full);
    EXPECT_EQ(f.result.generated_tokens, 256 - 250);
  }
}

TEST_P(SchedulerTest, StopStringsAndMaxTokensPerRequest) {
  engine::Scheduler s(*engine_, options(2, 64, 512));
  auto base = greedy(prompt("The whale"), 20);
  Finished plain = drain(*s.submit(base));
  ASSERT_GE(plain.text.size(), 3u);
  // Stop at a piece of the greedy text: the output ends right before it.
  auto with_stop = base;
  const std::string stop = plain.text.substr(plain.text.size() / 2, 2);
  with_stop.options.stop = {stop};
  Finished stopped = drain(*s.submit(with_stop));
  EXPECT_EQ(stopped.text, plain.text.substr(0, plain.text.find(stop)));
  if (plain.result.reason == engine::StopReason::max_tokens) {
    EXPECT_EQ(stopped.result.reason, engine::StopReason::stop_string);
  }
  auto short_one = base;
  short_one.options.max_tokens = 3;
  Finished three = drain(*s.submit(short_one));
  EXPECT_LE(three.result.generated_tokens, 3);
  EXPECT_EQ(plain.text.rfind(three.text, 0), 0u) << "a shorter run is a prefix of the longer one";
}

// slot_states() is a copy taken under the scheduler's lock: the running request's slot is busy
// with its settings and counts its tokens; after the end it is idle and keeps the last account.
TEST_P(SchedulerTest, SlotStatesFollowARequest) {
  engine::Scheduler s(*engine_, options(2, 64, 512));
  std::vector<engine::SlotState> idle = s.slot_states();
  ASSERT_EQ(idle.size(), 2u);
  EXPECT_FALSE(idle[0].busy);
  EXPECT_EQ(idle[1].id, 1);
  auto r = greedy(prompt("The whale"), 400);
  r.ignore_eos = true;
  r.options.stop = {"never-in-this-text"};
  // A tiny model may finish before a loaded machine lets this thread look: then try again.
  bool seen_busy = false;
  Finished f;
  for (int attempt = 0; attempt < 20 && !seen_busy; ++attempt) {
    auto h = s.submit(r);
    for (int i = 0; i < 2000 && !seen_busy; ++i) {
      for (const engine::SlotState& st : s.slot_states())
        if (st.busy && st.generated > 0) {
          seen_busy = true;
          EXPECT_EQ(st.options.max_tokens, 400);
          EXPECT_TRUE(st.ignore_eos);
          EXPECT_EQ(st.options.stop, r.options.stop);
          EXPECT_EQ(st.prompt_tokens, static_cast<int64_t>(r.prompt.size()));
        }
      if (!seen_busy) std::this_thread::sleep_for(100us);
    }
    f = drain(*h);
  }
  EXPECT_TRUE(seen_busy);
  // The copy is refreshed after the step that ended the request, which may come just after.
  bool all_idle = false;
  for (int i = 0; i < 200 && !all_idle; ++i) {
    std::vector<engine::SlotState> after = s.slot_states();
    all_idle = !after[0].busy && !after[1].busy;
    if (all_idle) {
      const engine::SlotState& used = after[f.result.slot];
      EXPECT_EQ(used.generated, f.result.generated_tokens);
      EXPECT_GT(used.cached, 0);
    } else {
      std::this_thread::sleep_for(5ms);
    }
  }
  EXPECT_TRUE(all_idle);
}

// The KV pool (-c) shared by the slots, too small for what two requests want together: the
// second waits while the first holds the pages its prompt needs, then runs when they come back
// (from the first's idle slot); no request fails.
TEST_P(SchedulerTest, ARequestWhosePagesAreTakenWaitsForThem) {
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 2 * kernels::kKvPagePositions;  // two pages in all
  engine::Engine small(model(), o);
  engine::SchedulerOptions so = options(2, 64, 512);
  so.context_per_slot = 0;
  engine::Scheduler s(small, so);
  const std::vector<int32_t> a(100, 65), b(70, 66);  // two pages each
  auto ha = s.submit(greedy(a, 20));
  auto hb = s.submit(greedy(b, 20));
  ASSERT_TRUE(ha && hb);
  const Finished fa = drain(*ha), fb = drain(*hb);
  EXPECT_TRUE(fa.result.error.empty()) << fa.result.error;
  EXPECT_TRUE(fb.result.error.empty()) << fb.result.error;
  EXPECT_EQ(fa.result.generated_tokens, 20);
  EXPECT_EQ(fb.result.generated_tokens, 20);
  EXPECT_GE(fb.result.queue_seconds, fa.result.prompt_seconds) << "b waited for a's pages";
  EXPECT_LE(s.metrics().kv_pages_used, 2);
}

// Two generations that together outgrow the pool mid-way: the one that finds no page ends with an
// error that names the pool, its pages go to the other, which finishes as if alone.
TEST_P(SchedulerTest, AGenerationThatFindsThePoolFullEndsWithAnErrorAndTheOtherFinishes) {
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 2 * kernels::kKvPagePositions;
  engine::Engine small(model(), o);
  engine::SchedulerOptions so = options(2, 64, 512);
  so.context_per_slot = 0;
  const std::vector<int32_t> p1(40, 65), p2(40, 67);
  std::string alone;
  {
    engine::Scheduler one(small, so);
    alone = drain(*one.submit(greedy(p2, 60))).text;
  }
  engine::Scheduler s(small, so);
  auto h1 = s.submit(greedy(p1, 60));
  auto h2 = s.submit(greedy(p2, 60));
  ASSERT_TRUE(h1 && h2);
  const Finished f1 = drain(*h1), f2 = drain(*h2);
  EXPECT_EQ(f1.result.reason, engine::StopReason::failed);
  EXPECT_NE(f1.result.error.find("KV cache pool is full"), std::string::npos) << f1.result.error;
  EXPECT_TRUE(f2.result.error.empty()) << f2.result.error;
  EXPECT_EQ(f2.text, alone);
  EXPECT_EQ(s.metrics().kv_pool_full_failures, 1);
}

// 16 requests whose prompts share a 2,000-token system prompt: its pages are stored once, so all
// of them run at once in a pool of 4,096 positions (16 copies would take 32 pages each of its 64).
TEST(SchedulerPool, SixteenRequestsSharingASystemPromptStoreItOnce) {
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 4096;
  engine::Engine engine(test::make_model("tiny", "q2_0", 7), o);
  engine::SchedulerOptions so = options(16, 64, 512);
  so.context_per_slot = 0;
  engine::Scheduler s(engine, so);
  std::vector<int32_t> system(2000);
  for (size_t i = 0; i < system.size(); ++i) system[i] = static_cast<int32_t>(10 + (i * 7919) % 280);
  std::atomic<bool> done{false};
  int most_busy = 0;
  int64_t most_pages = 0;
  std::thread watch([&] {
    while (!done.load()) {
      const engine::SchedulerMetrics m = s.metrics();
      most_busy = std::max(most_busy, m.slots_busy);
      most_pages = std::max(most_pages, m.kv_pages_used);
      std::this_thread::sleep_for(1ms);
    }
  });
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;
  for (int32_t r = 0; r < 16; ++r) {
    std::vector<int32_t> prompt = system;
    for (int32_t t = 0; t < 8; ++t) prompt.push_back(300 + r * 8 + t);
    handles.push_back(s.submit(greedy(prompt, 40)));  // 2,048 positions: 32 pages
  }
  std::set<int> slots;
  for (auto& h : handles) {
    if (!h) continue;
    const Finished f = drain(*h);
    EXPECT_TRUE(f.result.error.empty()) << f.result.error;
    EXPECT_EQ(f.result.generated_tokens, 40);
    slots.insert(f.result.slot);
  }
  done.store(true);
  watch.join();
  EXPECT_EQ(slots.size(), 16u);
  EXPECT_EQ(most_busy, 16) << "all ran together";
  // 31 full pages of the system prompt, shared; each slot's last page (the rest of the system
  // prompt, its own tokens and answer) of its own.
  EXPECT_LE(most_pages, 31 + 16) << "pages in use";
  const engine::SchedulerMetrics m = s.metrics();
  EXPECT_EQ(m.kv_pages_total, 64);
  EXPECT_LE(m.prompt_tokens_computed, 2000 + 16 * 8) << "the system prompt computed once";
}

INSTANTIATE_TEST_SUITE_P(Models, SchedulerTest, ::testing::Values("tiny", "qwen35-tiny"),
                         [](const auto& info) { return info.param == "tiny" ? "Qwen3" : "Qwen35"; });

}  // namespace
}  // namespace trit
