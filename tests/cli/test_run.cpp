// trit run and trit chat end to end through the binary.
#include <gtest/gtest.h>

#include <regex>

#include "common/test_util.h"
#include "util/memory_info.h"

namespace trit {
namespace {

using test::run_trit;
using test::shell_quote;

// The models/README.md continuation (32 tokens). It ends in "\n\n\n" there; the f64 reference
// forward pass (tests/model/reference_forward.h) picks token 198 "\n" as the 32nd token (6.538 vs
// 6.415 for the runner-up; "\n\n\n" is not in its top two), so the extra newlines are taken to be
// the printing of the tool that made the README. The text is compared up to trailing newlines
// and trit's own output must end in exactly the model's "\n" plus trit's final newline.
const char* kMobyContinuation =
    ", I will not say, and I will not say that the world is to be a\nthe same. But I know that I will not be a";

TEST(Run, TrainedModelReproducesTheReferenceContinuation) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  for (const char* file : {"moby-tiny-Q2_0.gguf", "moby-tiny-F16.gguf"}) {
    auto r = run_trit("run -m " + shell_quote(test::shared_dir() + "/models/" + file) +
                      " --raw --temp 0 -n 32 -p 'Call me Ishmael. Some years ago'");
    ASSERT_EQ(r.exit_code, 0) << file << ": " << r.err;
    // The 32nd token is "\n"; trit run ends the output with one newline of its own.
    EXPECT_EQ(r.out, std::string(kMobyContinuation) + "\n\n") << file;
    EXPECT_NE(r.err.find("decode:"), std::string::npos) << "speeds are reported on stderr";
    EXPECT_NE(r.err.find("KV cache"), std::string::npos) << "the KV cache size is reported at start";
  }
}

TEST(Run, Int8x2ActivationsMakeTheQ2_0FileSpeakLikeItsF16Twin) {
  // Free-running greedy text of the q2_0 and f16 files of one seed (see test_forward.cpp for why
  // the default int8 activations part ways on random models' near-ties).
  const std::string args = " --raw --temp 0 -n 64 -p 'Hello there'";
  auto f16 = run_trit("run -m " + shell_quote(test::make_model("tiny", "f16", 4)) + args);
  auto q2 = run_trit("run -m " + shell_quote(test::make_model("tiny", "q2_0", 4)) + args + " --activations int8x2");
  ASSERT_EQ(f16.exit_code, 0) << f16.err;
  ASSERT_EQ(q2.exit_code, 0) << q2.err;
  EXPECT_EQ(q2.out, f16.out);
  EXPECT_NE(q2.err.find("activations int8x2"), std::string::npos) << "the start-up line names the precision";
  auto bad = run_trit("run -m " + shell_quote(test::make_model("tiny", "q2_0", 4)) + args + " --activations int4");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--activations"), std::string::npos) << bad.err;
}

TEST(Run, AContextLargerThanMemoryIsAClearError) {
  // 2^24 positions of f32 KV on the tiny model: 32 GiB, more than the test machines have.
  const auto available = available_memory_bytes();
  if (!available || *available > (size_t(30) << 30))
    GTEST_SKIP() << "SKIPPED: this machine has 30 GiB or more available (or no /proc/meminfo): the context would fit";
  auto r = run_trit("run -m " + shell_quote(test::make_model("tiny", "q2_0", 4)) +
                    " -c 16777216 --kv-type f32 --raw -n 2 -p hi");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("of memory is available: lower -c"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
}

// -ctk / -ctv / --kv-type: the trained model's greedy continuation survives a q8_0 cache (K or
// both), the start-up line names the types, and a type trit lacks is named in the error.
TEST(Run, QuantizedKvCacheTypes) {
  const std::string model = test::have_shared() ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf"
                                                : test::make_model("tiny", "q2_0", 3);
  const std::string args = "run -m " + shell_quote(model) + " --raw --temp 0 -n 32 -p 'Call me Ishmael. Some years ago'";
  auto f16 = run_trit(args);
  ASSERT_EQ(f16.exit_code, 0) << f16.err;
  if (test::have_shared()) {
    EXPECT_EQ(f16.out, std::string(kMobyContinuation) + "\n\n");
  }
  struct Want {
    std::string flags, named;
  };
  for (const Want& w : {Want{"-ctk q8_0 -ctv q8_0", "KV cache q8_0 "}, Want{"-ctk q8_0", "KV cache K q8_0, V f16 "},
                        Want{"--kv-type q8_0 -ctv f32", "KV cache K q8_0, V f32 "}}) {
    auto r = run_trit(args + " " + w.flags);
    ASSERT_EQ(r.exit_code, 0) << w.flags << ": " << r.err;
    EXPECT_EQ(r.out, f16.out) << w.flags;
    EXPECT_NE(r.err.find(w.named), std::string::npos) << w.flags << ": " << r.err;
  }
  auto q4 = run_trit(args + " --kv-type q4_0");
  ASSERT_EQ(q4.exit_code, 0) << q4.err;
  EXPECT_NE(q4.err.find("KV cache q4_0 "), std::string::npos) << q4.err;
  EXPECT_EQ(q4.out.substr(0, 20), f16.out.substr(0, 20)) << "a 4-bit cache keeps at least the first words";
  for (const std::string& bad : {std::string("-ctk q5_1"), std::string("-ctv bf16"), std::string("--kv-type f8")}) {
    auto r = run_trit(args + " " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(r.signal, 0) << bad;
    EXPECT_NE(r.err.find("unknown KV cache type"), std::string::npos) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("f16, f32, q8_0, q4_0"), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(Run, SameSeedSameOutput) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  const std::string args = "run -m " + shell_quote(model) + " --raw -n 24 --temp 0.9 --seed 42 -p 'abc'";
  auto a = run_trit(args), b = run_trit(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_FALSE(a.out.empty());
}

TEST(Run, PromptLongerThanTheContextIsAClearError) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  const std::string prompt(600, 'x');
  auto r = run_trit("run -m " + shell_quote(model) + " --raw -c 64 -n 4 -p " + shell_quote(prompt));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.err.find("context holds 64"), std::string::npos) << r.err;

  auto t = run_trit("run -m " + shell_quote(model) + " --raw -c 64 -n 4 --truncate-prompt -p " + shell_quote(prompt));
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.err.find("truncated"), std::string::npos) << t.err;
}

TEST(Run, BadInputsGiveOneErrorLine) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  for (const std::string& args : std::vector<std::string>{"run -m /nonexistent.gguf -p hi", "run -m " + shell_quote(model),
                                 "run -m " + shell_quote(model) + " -p hi --top-p 3",
                                 "run -m " + shell_quote(model) + " -p hi -t -2"}) {
    auto r = run_trit(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.signal, 0) << args;
    EXPECT_FALSE(r.err.empty()) << args;
  }
}

// -md FILE (--spec draft): a draft model of the same vocabulary gives the same text as without it,
// on a dense target (the trained model's F16 twin drafting for it where ../shared has it) and a
// hybrid one (a dense draft); its start-up line and the drafts' account on stderr; chat takes it;
// wrong combinations and a missing or foreign draft model are named before anything runs.
TEST(Run, DraftModelGivesTheSameTextAndReportsItsDrafts) {
  const bool trained = test::have_shared();
  const std::string model = trained ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf" : test::make_model("tiny", "q2_0", 3);
  const std::string draft = trained ? test::shared_dir() + "/models/moby-tiny-F16.gguf" : test::make_model("tiny", "f16", 8);
  const std::string args = "run -m " + shell_quote(model) + " --raw --temp 0 -n 48 -p 'Call me Ishmael. Some years ago'";
  auto plain = run_trit(args), drafted = run_trit(args + " -md " + shell_quote(draft) + " --draft-max 4");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  EXPECT_EQ(plain.out, drafted.out);
  EXPECT_NE(drafted.err.find("draft model "), std::string::npos) << drafted.err;
  EXPECT_NE(drafted.err.find(", drafted "), std::string::npos) << drafted.err;
  if (trained) {  // the F16 twin of a trained ternary model agrees with it most of the time
    std::smatch m;
    ASSERT_TRUE(std::regex_search(drafted.err, m, std::regex(R"(accepted [0-9]+ \(([0-9]+)%\))"))) << drafted.err;
    EXPECT_GT(std::stoi(m[1]), 50) << drafted.err;
  }

  auto chat = test::run_command("printf 'the whale the whale\n/exit\n' | " + test::trit_bin() + " chat -m " + shell_quote(model) +
                                " --temp 0 -n 24 --spec draft -md " + shell_quote(draft));
  EXPECT_EQ(chat.exit_code, 0) << chat.err;

  const std::string hybrid = "run -m " + shell_quote(test::make_model("qwen35-tiny", "pq2_0", 7)) + " --raw --temp 0 -n 24 -p 'a b a b a b'";
  auto hybrid_plain = run_trit(hybrid), hybrid_drafted = run_trit(hybrid + " -md " + shell_quote(test::make_model("tiny", "q2_0", 7)));
  EXPECT_EQ(hybrid_drafted.exit_code, 0) << hybrid_drafted.err;
  EXPECT_EQ(hybrid_plain.out, hybrid_drafted.out);
  EXPECT_NE(hybrid_drafted.err.find(", drafted "), std::string::npos) << hybrid_drafted.err;

  std::vector<std::pair<std::string, std::string>> bad_values = {
      {" --spec draft", "-md FILE"},
      {" --spec ngram -md " + shell_quote(draft), "only used by --spec draft"},
      {" -md /nonexistent/draft.gguf", "/nonexistent/draft.gguf: no such file"},
      {" --spec ngram --draft-p-min 0.5", "--draft-p-min"},
      {" -md " + shell_quote(draft) + " --draft-p-min 1.5", "--draft-p-min"},
      {" -md " + shell_quote(draft) + " --draft-p-min nan", "--draft-p-min"}};
  if (trained) bad_values.emplace_back(" -md " + shell_quote(test::make_model("tiny", "q2_0", 3)), "must share the model's vocabulary");
  for (const auto& [bad, named] : bad_values) {
    auto r = run_trit(args + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(r.signal, 0) << bad;
    EXPECT_NE(r.err.find(named), std::string::npos) << bad << ": " << r.err;
  }
}

// --spec mtp: a qwen35 file with an MTP block (mkmodel --mtp) drafts with it: the same text, the
// head's start-up line and the drafts' account; chat takes it; a file without the block and
// combinations that cannot run are refused naming the problem.
TEST(Run, MtpHeadGivesTheSameTextAndReportsItsDrafts) {
  const std::string model = test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp");
  const std::string args = "run -m " + shell_quote(model) + " --raw --temp 0 -n 32 -p 'a b a b a b'";
  auto plain = run_trit(args), drafted = run_trit(args + " --spec mtp --draft-max 3");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  EXPECT_EQ(plain.out, drafted.out);
  EXPECT_NE(drafted.err.find("MTP head: block 8"), std::string::npos) << drafted.err;
  EXPECT_NE(drafted.err.find(", drafted "), std::string::npos) << drafted.err;
  auto chat = test::run_command("printf 'the whale the whale\n/exit\n' | " + test::trit_bin() + " chat -m " +
                                shell_quote(model) + " --temp 0 -n 24 --spec mtp");
  EXPECT_EQ(chat.exit_code, 0) << chat.err;

  const std::string without = "run -m " + shell_quote(test::make_model("qwen35-tiny", "pq2_0", 7)) + " -n 4 -p hi";
  for (const auto& [bad, named] : std::vector<std::pair<std::string, std::string>>{
           {without + " --spec mtp", "has no multi-token-prediction block"},
           {args + " --spec mtp -md " + shell_quote(model), "only used by --spec draft"},
           {args + " --spec ngram --draft-p-min 0.5", "--draft-p-min"}}) {
    auto r = run_trit(bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(r.signal, 0) << bad;
    EXPECT_NE(r.err.find(named), std::string::npos) << bad << ": " << r.err;
  }
  auto with_floor = run_trit(args + " --spec mtp --draft-p-min 0.99");
  EXPECT_EQ(with_floor.exit_code, 0) << with_floor.err;
  EXPECT_EQ(with_floor.out, plain.out);
}

// --spec ngram: the same text as without it (a dense and a hybrid model), and the drafts' account on
// stderr; chat takes it too; bad values are named.
TEST(Run, NgramSpeculationGivesTheSameTextAndReportsItsDrafts) {
  const std::string model = test::have_shared() ? test::shared_dir() + "/models/moby-tiny-Q2_0.gguf"
                                                : test::make_model("tiny", "q2_0", 3);
  const std::string args = "run -m " + shell_quote(model) + " --raw --temp 0 -n 48 -p 'The whale, the whale, the whale'";
  auto plain = run_trit(args), drafted = run_trit(args + " --spec ngram --draft-max 4");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(drafted.exit_code, 0) << drafted.err;
  EXPECT_EQ(plain.out, drafted.out);
  EXPECT_EQ(plain.err.find("drafted"), std::string::npos);
  if (test::have_shared()) {
    EXPECT_NE(drafted.err.find(", drafted "), std::string::npos) << drafted.err;
  }

  auto chat = test::run_command("printf 'the whale the whale\n/exit\n' | " + test::trit_bin() + " chat -m " + shell_quote(model) +
                                " --temp 0 -n 24 --spec ngram");
  EXPECT_EQ(chat.exit_code, 0) << chat.err;

  const std::string hybrid = "run -m " + shell_quote(test::make_model("qwen35-tiny", "pq2_0", 7)) + " --raw --temp 0 -n 24 -p 'a b a b a b'";
  auto hybrid_plain = run_trit(hybrid), hybrid_drafted = run_trit(hybrid + " --spec ngram");
  EXPECT_EQ(hybrid_drafted.exit_code, 0) << hybrid_drafted.err;
  EXPECT_EQ(hybrid_plain.out, hybrid_drafted.out);

  const std::pair<std::string, std::string> bad_values[] = {
      {" --spec medusa", "--spec"}, {" --spec ngram --draft-max 0", "--draft-max"}, {" --spec ngram --draft-max 2 --draft-min 3", "--draft-min"}};
  for (const auto& [bad, named] : bad_values) {
    auto r = run_trit(args + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_EQ(r.signal, 0) << bad;
    EXPECT_NE(r.err.find(named), std::string::npos) << bad << ": " << r.err;
  }
}

TEST(Chat, PipedConversationWithClearAndExit) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  auto r = test::run_command("printf 'Hello\\nAnd again\\n/clear\\nThird\\n/exit\\nnever read\\n' | " +
                             shell_quote(test::trit_bin()) + " chat -m " + shell_quote(model) + " --temp 0 -n 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("conversation cleared"), std::string::npos) << r.err;
  // Three answers, each followed by its speed line.
  size_t lines = 0;
  for (size_t p = r.err.find("tokens/s; prompt"); p != std::string::npos; p = r.err.find("tokens/s; prompt", p + 1)) ++lines;
  EXPECT_EQ(lines, 3u) << r.err;
}

TEST(Chat, TrainedModelAnswersInEnglishLikeText) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent";
  auto r = test::run_command("printf 'Tell me about the whale.\\n' | " + shell_quote(test::trit_bin()) + " chat -m " +
                             shell_quote(test::shared_dir() + "/models/moby-tiny-Q2_0.gguf") +
                             " --temp 0 -n 24 --no-think");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(r.out.size(), 20u) << r.out;
}

}  // namespace
}  // namespace trit

namespace trit {
namespace {

TEST(Run, ChatTemplateFileReplacesTheModelsTemplate) {
  const std::string model = test::make_model("tiny", "q2_0", 3);
  const std::string dir = test::scratch_dir();
  test::write_file(dir + "/own.jinja",
                   "{% for m in messages %}<|im_start|>{{ m.role|upper }}: {{ m.content }}<|im_end|>\n{% endfor %}"
                   "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
  auto r = run_trit("run -m " + shell_quote(model) + " -n 1 --temp 0 --verbose-prompt --chat-template-file " +
                    shell_quote(dir + "/own.jinja") + " -p hello");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("<|im_start|>USER: hello<|im_end|>\n<|im_start|>assistant\n"), std::string::npos) << r.err;

  auto missing = run_trit("run -m " + shell_quote(model) + " -n 1 --chat-template-file /nonexistent.jinja -p hi");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("--chat-template-file /nonexistent.jinja: cannot read the file"), std::string::npos) << missing.err;

  test::write_file(dir + "/bad.jinja", "ok\n{% for m in messages %}{{ m | wordwrap }}{% endfor %}");
  for (const std::string command : {"run -n 1 -p hi", "chat -n 1", "serve --port 0"}) {
    auto bad = run_trit(command + " -m " + shell_quote(model) + " --chat-template-file " + shell_quote(dir + "/bad.jinja") +
                        " </dev/null");
    EXPECT_EQ(bad.exit_code, 1) << command;
    EXPECT_NE(bad.err.find("bad.jinja: chat template line 2: filter 'wordwrap' is not supported"), std::string::npos)
        << command << ": " << bad.err;
  }
}

}  // namespace
}  // namespace trit
