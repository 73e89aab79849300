// The Jinja engine renders Qwen3's template as @huggingface/jinja does (oracle/chat.mjs)
// on every conversation there: thinking on and off, tools, tool calls and results, reasoning.
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "oracle_support.h"
#include "tokenizer/chat.h"
#include "util/error.h"

namespace trit::test {
namespace {

using tokenizer::ordered_json;

TEST(ChatRender, EqualsTheJinjaTemplateOnEveryConversation) {
  if (!oracle_installed()) return;
  std::string path = scratch_dir() + "/chat.jsonl";
  if (!run_node("chat.mjs " + shell_quote(path))) return;
  auto lines = read_lines(path);
  ASSERT_GE(lines.size(), 30u);
  size_t with_tools = 0, thinking_off = 0, tool_results = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    ordered_json entry = ordered_json::parse(lines[i]);
    const ordered_json& c = entry["case"];
    tokenizer::ChatOptions options;
    if (c.contains("tools")) options.tools = c["tools"], ++with_tools;
    options.add_generation_prompt = c.value("add_generation_prompt", false);
    options.enable_thinking = c.value("enable_thinking", true);
    thinking_off += !options.enable_thinking;
    auto messages = tokenizer::messages_from_json(c["messages"]);
    for (const auto& m : messages) tool_results += m.role == "tool";
    std::string ours = tokenizer::render_chat(tokenizer::ChatFormat::qwen3(), messages, options);
    EXPECT_EQ(ours, entry["text"].get<std::string>()) << "conversation " << i << ": " << c.dump();
  }
  EXPECT_GE(with_tools, 5u);
  EXPECT_GE(thinking_off, 5u);
  EXPECT_GE(tool_results, 5u);
}

TEST(ChatRender, UsesTheFilesTemplateOrTheBuiltInQwen3One) {
  std::string notice;
  auto own = tokenizer::detect_chat_format("{% for m in messages %}[{{ m.role }}:{{ m.content }}]{% endfor %}", &notice);
  EXPECT_EQ(notice, "");
  EXPECT_EQ(tokenizer::render_chat(own, {{"user", "hi", std::nullopt, {}}}), "[user:hi]");
  auto fallback = tokenizer::detect_chat_format("", &notice);
  EXPECT_NE(notice.find("no chat template"), std::string::npos);
  EXPECT_EQ(fallback.source(), tokenizer::kQwen3ChatTemplate);
  fallback = tokenizer::detect_chat_format("{{ x | wordwrap }}", &notice);
  EXPECT_NE(notice.find("filter 'wordwrap' is not supported"), std::string::npos) << notice;
  EXPECT_EQ(fallback.source(), tokenizer::kQwen3ChatTemplate);
}

TEST(ChatRender, TemplateKwargsReachTheTemplate) {
  auto format = tokenizer::detect_chat_format(
      "{{ preserve_thinking is defined }} {{ preserve_thinking }} {{ enable_thinking }} {{ messages|length }}");
  tokenizer::ChatOptions options;
  options.enable_thinking = false;
  options.template_kwargs = {{"preserve_thinking", true}, {"messages", "ignored"}, {"enable_thinking", true}};
  EXPECT_EQ(tokenizer::render_chat(format, {{"user", "u", std::nullopt, {}}}, options), "True True False 1");
  EXPECT_EQ(tokenizer::render_chat(format, {}, {}), "False  True 0");
}

TEST(ChatRender, ToJsonLikePython) {
  ordered_json v = ordered_json::parse(R"({"b": [1, 2.5, true, null], "a": "x\"\n\u0001é", "c": {}})");
  EXPECT_EQ(tokenizer::to_json_python(v), "{\"b\": [1, 2.5, true, null], \"a\": \"x\\\"\\n\\u0001é\", \"c\": {}}");
  EXPECT_EQ(tokenizer::to_json_python(ordered_json(1.0)), "1.0");
}

TEST(ChatRender, MessagesFromJsonRejectsBadInput) {
  EXPECT_THROW(tokenizer::messages_from_json(ordered_json::object()), Error);
  EXPECT_THROW(tokenizer::messages_from_json(ordered_json::parse(R"([{"content": "x"}])")), Error);
  EXPECT_THROW(tokenizer::messages_from_json(ordered_json::parse(R"([{"role": "user", "content": 5}])")), Error);
  auto m = tokenizer::messages_from_json(
      ordered_json::parse(R"([{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                              {"role": "assistant", "content": null}])"));
  EXPECT_EQ(m[0].content, "ab");
  EXPECT_EQ(m[1].content, "");
}

}  // namespace
}  // namespace trit::test
