// Parsing model output: reasoning, content and tool calls, whole or fed in pieces.
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/chat.h"

namespace trit::test {
namespace {

using tokenizer::AssistantOutput;
using tokenizer::ChatOutputParser;
using tokenizer::ordered_json;
using tokenizer::parse_assistant_output;

// Feeds `text` in pieces of 1..max_piece bytes and checks the deltas add up to the result.
AssistantOutput parse_in_pieces(const std::string& text, size_t max_piece, uint32_t seed) {
  std::mt19937 rng(seed);
  ChatOutputParser parser;
  AssistantOutput summed;
  auto add = [&](const ChatOutputParser::Delta& d) {
    summed.reasoning += d.reasoning;
    summed.content += d.content;
    for (const auto& c : d.tool_calls) summed.tool_calls.push_back(c);
  };
  for (size_t i = 0; i < text.size();) {
    size_t n = 1 + rng() % max_piece;
    add(parser.feed(std::string_view(text).substr(i, n)));
    i += n;
  }
  add(parser.finish());
  EXPECT_EQ(summed.reasoning, parser.output().reasoning);
  EXPECT_EQ(summed.content, parser.output().content);
  EXPECT_EQ(summed.tool_calls.size(), parser.output().tool_calls.size());
  return summed;
}

void expect_same(const AssistantOutput& a, const AssistantOutput& b, const std::string& text) {
  EXPECT_EQ(a.reasoning, b.reasoning) << text;
  EXPECT_EQ(a.content, b.content) << text;
  ASSERT_EQ(a.tool_calls.size(), b.tool_calls.size()) << text;
  for (size_t i = 0; i < a.tool_calls.size(); ++i) {
    EXPECT_EQ(a.tool_calls[i].name, b.tool_calls[i].name);
    EXPECT_EQ(a.tool_calls[i].arguments, b.tool_calls[i].arguments);
  }
}

TEST(ChatParse, SplitsReasoningFromTheAnswer) {
  auto out = parse_assistant_output("<think>\nLet me think.\nStep two.\n</think>\n\nThe answer is 4.");
  EXPECT_EQ(out.reasoning, "Let me think.\nStep two.");
  EXPECT_EQ(out.content, "The answer is 4.");
  EXPECT_TRUE(out.tool_calls.empty());
}

TEST(ChatParse, NoThinkingBlockIsAllContent) {
  auto out = parse_assistant_output("Just an answer with <b>tags</b> and a < sign.");
  EXPECT_EQ(out.reasoning, "");
  EXPECT_EQ(out.content, "Just an answer with <b>tags</b> and a < sign.");
  auto empty_think = parse_assistant_output("<think>\n\n</think>\n\nHi");
  EXPECT_EQ(empty_think.reasoning, "");
  EXPECT_EQ(empty_think.content, "Hi");
}

TEST(ChatParse, MissingCloseThinkAtEndOfStreamIsReasoning) {
  auto out = parse_assistant_output("<think>\nI was cut off mid-thought\n");
  EXPECT_EQ(out.reasoning, "I was cut off mid-thought");
  EXPECT_EQ(out.content, "");
  auto started = parse_assistant_output("already thinking</think>\n\nanswer", /*starts_in_reasoning=*/true);
  EXPECT_EQ(started.reasoning, "already thinking");
  EXPECT_EQ(started.content, "answer");
}

TEST(ChatParse, ExtractsToolCalls) {
  auto out = parse_assistant_output(
      "<think>\nNeed weather.\n</think>\n\nChecking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
      "{\"city\": \"Paris\", \"days\": 3}}\n</tool_call>\n<tool_call>\n{\"name\": \"search\", \"arguments\": "
      "{\"query\": \"x\"}}\n</tool_call>");
  EXPECT_EQ(out.reasoning, "Need weather.");
  EXPECT_EQ(out.content, "Checking.");
  ASSERT_EQ(out.tool_calls.size(), 2u);
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(out.tool_calls[0].arguments, ordered_json::parse(R"({"city": "Paris", "days": 3})"));
  EXPECT_EQ(tokenizer::to_json_python(out.tool_calls[0].arguments), "{\"city\": \"Paris\", \"days\": 3}");
  EXPECT_EQ(out.tool_calls[1].name, "search");
}

TEST(ChatParse, ToolCallWithoutClosingTagAtEndOfStream) {
  auto out = parse_assistant_output("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": [1, 2]}}\n");
  ASSERT_EQ(out.tool_calls.size(), 1u);
  EXPECT_EQ(out.tool_calls[0].name, "f");
  EXPECT_EQ(out.content, "");
  // Truncated JSON is not a call: the text stays visible as content.
  auto cut = parse_assistant_output("<tool_call>\n{\"name\": \"f\", \"argu");
  EXPECT_TRUE(cut.tool_calls.empty());
  EXPECT_EQ(cut.content, "<tool_call>\n{\"name\": \"f\", \"argu");
}

TEST(ChatParse, InvalidToolCallBodyStaysContent) {
  auto out = parse_assistant_output("Text\n<tool_call>not json</tool_call>");
  EXPECT_TRUE(out.tool_calls.empty());
  EXPECT_EQ(out.content, "Text\n<tool_call>not json</tool_call>");
  auto no_name = parse_assistant_output("<tool_call>{\"arguments\": {}}</tool_call>");
  EXPECT_TRUE(no_name.tool_calls.empty());
}

TEST(ChatParse, StreamingInAnyPiecesGivesTheSameResult) {
  const std::vector<std::string> texts = {
      "<think>\nLet me think.\n</think>\n\nThe answer is 4.",
      "plain answer\n\nwith paragraphs\n",
      "<think>\nr\n</think>\n\nC.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"k\": \"<v>\"}}\n</tool_call>",
      "<think>cut off",
      "<tool_call>\n{\"name\": \"g\", \"arguments\": \"{\\\"s\\\": 1}\"}\n",
      "  <think>x</think>y",
      "<thinking is not a tag",
      "a <tool_call>bad</tool_call> b",
      "<think>\n\n</think>\n\n",
      "",
  };
  for (const auto& text : texts) {
    auto whole = parse_assistant_output(text);
    for (size_t piece : {1, 2, 3, 7}) expect_same(parse_in_pieces(text, piece, uint32_t(piece * 31 + text.size())), whole, text);
  }
}

TEST(ChatParse, StreamingHoldsBackOnlyWhatCouldBeATag) {
  ChatOutputParser parser;
  auto d1 = parser.feed("<think>\nabc");
  EXPECT_EQ(d1.reasoning, "abc");
  auto d2 = parser.feed("def</thi");
  EXPECT_EQ(d2.reasoning, "def");  // "</thi" may be the closing tag
  auto d3 = parser.feed("nk>\n\nHello");
  EXPECT_EQ(d3.reasoning, "");
  EXPECT_EQ(d3.content, "Hello");
  auto d4 = parser.feed(" world\n");
  EXPECT_EQ(d4.content, " world");  // a trailing newline waits (it may precede <tool_call>)
  auto d5 = parser.finish();
  EXPECT_EQ(d5.content, "\n");
}

}  // namespace
}  // namespace trit::test

namespace trit::test {
namespace {

// Qwen3.5's XML tool calls, whole and in pieces split at every byte.
TEST(ChatParse, QwenXmlToolCalls) {
  const std::string text =
      "I will check.\n\n<tool_call>\n<function=get_weather>\n<parameter=city>\nNew York\n</parameter>\n"
      "<parameter=days>\n3\n</parameter>\n<parameter=opts>\n{\"unit\": \"C\", \"x\": [1, 2]}\n</parameter>\n"
      "<parameter=note>\nline one\nline two\n</parameter>\n<parameter=flag>\ntrue\n</parameter>\n"
      "<parameter=quoted>\n\"42\"\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=noargs>\n</function>\n</tool_call>";
  auto out = parse_assistant_output(text);
  EXPECT_EQ(out.content, "I will check.");
  ASSERT_EQ(out.tool_calls.size(), 2u);
  EXPECT_EQ(out.tool_calls[0].name, "get_weather");
  EXPECT_EQ(out.tool_calls[0].arguments,
            ordered_json::parse(R"({"city": "New York", "days": 3, "opts": {"unit": "C", "x": [1, 2]},
                                   "note": "line one\nline two", "flag": true, "quoted": "\"42\""})"));
  EXPECT_EQ(out.tool_calls[1].name, "noargs");
  EXPECT_EQ(out.tool_calls[1].arguments, ordered_json::object());
  for (size_t split = 1; split < text.size(); ++split) {
    ChatOutputParser parser;
    AssistantOutput summed;
    for (auto piece : {std::string_view(text).substr(0, split), std::string_view(text).substr(split)}) {
      auto d = parser.feed(piece);
      summed.content += d.content;
      for (auto& c : d.tool_calls) summed.tool_calls.push_back(c);
    }
    auto d = parser.finish();
    summed.content += d.content;
    for (auto& c : d.tool_calls) summed.tool_calls.push_back(c);
    expect_same(summed, out, "split at " + std::to_string(split));
  }
  expect_same(parse_in_pieces(text, 1, 7), out, text);
}

TEST(ChatParse, MalformedXmlToolCallsStayContent) {
  for (const std::string body : {"<function=f>\n<parameter=a>\n1\n</function>",  // parameter not closed
                                 "<function=f>\njunk\n</function>",              // text between parameters
                                 "<function=f>\n<parameter=a>\n1\n</parameter>",  // no </function>
                                 "<function=>\n</function>", "<notafunction>"}) {
    const std::string text = "Hi\n<tool_call>\n" + body + "\n</tool_call>";
    auto out = parse_assistant_output(text);
    EXPECT_TRUE(out.tool_calls.empty()) << body;
    EXPECT_EQ(out.content, "Hi\n<tool_call>\n" + body + "\n</tool_call>") << body;
  }
}

}  // namespace
}  // namespace trit::test
