// ChatOutputParser: a small state machine over the model's text.
//   start      -> "<think>" (after optional whitespace) opens reasoning, anything else is content
//   reasoning  -> "</think>" ends it
//   content    -> "<tool_call>" opens a call
//   tool_call  -> "</tool_call>" closes it; the body is Qwen3's JSON {"name": ..., "arguments": ...}
//                 or Qwen3.5's XML:
//                   <function=NAME>\n<parameter=ARG>\nVALUE\n</parameter>\n...</function>
//                 VALUE is the text between "<parameter=ARG>\n" and "\n</parameter>"; when it parses
//                 as JSON other than a string (number, true/false/null, object, array) that value is
//                 the argument, else the text itself. No schema is consulted: a string argument that
//                 reads as a number comes out as a number.
// Newlines next to the tags are formatting, not text: they are dropped at the start and end of
// reasoning, at the start of content and before a tool call (so trailing newlines of content are
// held back until something else follows them).
#include "tokenizer/chat.h"
#include "util/json_depth.h"

namespace trit::tokenizer {
namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kCallOpen = "<tool_call>";
constexpr std::string_view kCallClose = "</tool_call>";

// Length of the longest suffix of s that is a proper prefix of tag (could still become it).
size_t partial_tag_suffix(std::string_view s, std::string_view tag) {
  for (size_t len = std::min(s.size(), tag.size() - 1); len > 0; --len)
    if (s.substr(s.size() - len) == tag.substr(0, len)) return len;
  return 0;
}

size_t trailing_newlines(std::string_view s, size_t end) {
  size_t n = 0;
  while (n < end && s[end - 1 - n] == '\n') ++n;
  return n;
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

ordered_json parameter_value(std::string_view text) {
  if (json_nesting_depth(text) <= kMaxJsonDepth) {
    try {
      ordered_json j = ordered_json::parse(text);
      if (!j.is_string()) return j;
    } catch (const ordered_json::exception&) {
    }
  }
  return std::string(text);
}

// Qwen3.5's XML call; nullopt for anything malformed (it then stays content).
std::optional<ParsedToolCall> parse_xml_call(std::string_view body) {
  constexpr std::string_view kFunction = "<function=", kFunctionEnd = "</function>";
  constexpr std::string_view kParam = "<parameter=", kParamEnd = "</parameter>";
  body = trim_space(body);
  if (body.substr(0, kFunction.size()) != kFunction) return std::nullopt;
  const size_t name_end = body.find('>');
  if (name_end == std::string_view::npos) return std::nullopt;
  ParsedToolCall call;
  call.name = std::string(body.substr(kFunction.size(), name_end - kFunction.size()));
  if (call.name.empty() || call.name.find_first_of("<\n") != std::string::npos) return std::nullopt;
  std::string_view rest = body.substr(name_end + 1);
  for (;;) {
    rest = trim_space(rest);
    if (rest == kFunctionEnd) return call;
    if (rest.substr(0, kParam.size()) != kParam) return std::nullopt;
    const size_t key_end = rest.find('>');
    if (key_end == std::string_view::npos) return std::nullopt;
    const std::string key(rest.substr(kParam.size(), key_end - kParam.size()));
    if (key.empty() || key.find_first_of("<\n") != std::string::npos) return std::nullopt;
    rest = rest.substr(key_end + 1);
    const size_t value_end = rest.find(kParamEnd);
    if (value_end == std::string_view::npos) return std::nullopt;
    std::string_view value = rest.substr(0, value_end);
    if (!value.empty() && value.front() == '\n') value.remove_prefix(1);
    if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
    call.arguments[key] = parameter_value(value);
    rest = rest.substr(value_end + kParamEnd.size());
  }
}

std::optional<ParsedToolCall> parse_call(std::string_view body) {
  if (trim_space(body).substr(0, 1) == "<") return parse_xml_call(body);
  // Model output too deep to write back out safely is text, not a call.
  if (json_nesting_depth(body) > kMaxJsonDepth) return std::nullopt;
  try {
    ordered_json j = ordered_json::parse(body);
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return std::nullopt;
    ParsedToolCall call;
    call.name = j["name"].get<std::string>();
    if (j.contains("arguments")) call.arguments = j["arguments"];
    return call;
  } catch (const ordered_json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

ChatOutputParser::ChatOutputParser(bool starts_in_reasoning)
    : state_(starts_in_reasoning ? State::reasoning : State::start) {}

void ChatOutputParser::add(Delta& delta, std::string AssistantOutput::*field, std::string Delta::*delta_field,
                           std::string_view text) {
  if (text.empty()) return;
  output_.*field += text;
  delta.*delta_field += text;
}

ChatOutputParser::Delta ChatOutputParser::feed(std::string_view text) {
  Delta delta;
  pending_ += text;
  process(delta, false);
  return delta;
}

ChatOutputParser::Delta ChatOutputParser::finish() {
  Delta delta;
  process(delta, true);
  return delta;
}

void ChatOutputParser::process(Delta& delta, bool at_end) {
  for (;;) {
    if (strip_leading_ && (state_ == State::reasoning || state_ == State::content)) {
      size_t n = 0;
      while (n < pending_.size() && pending_[n] == '\n') ++n;
      pending_.erase(0, n);
      if (pending_.empty() && !at_end) return;
      strip_leading_ = false;
    }
    switch (state_) {
      case State::start: {
        size_t ws = pending_.find_first_not_of(" \t\r\n");
        if (ws == std::string::npos) {
          if (!at_end) return;
          pending_.clear();
          return;
        }
        std::string_view rest = std::string_view(pending_).substr(ws);
        if (rest.substr(0, kThinkOpen.size()) == kThinkOpen) {
          pending_.erase(0, ws + kThinkOpen.size());
          state_ = State::reasoning;
          strip_leading_ = true;
          continue;
        }
        if (!at_end && kThinkOpen.substr(0, rest.size()) == rest) return;  // may still be <think>
        state_ = State::content;
        strip_leading_ = true;
        continue;
      }
      case State::reasoning:
      case State::content: {
        const bool reasoning = state_ == State::reasoning;
        std::string_view tag = reasoning ? kThinkClose : kCallOpen;
        auto field = reasoning ? &AssistantOutput::reasoning : &AssistantOutput::content;
        auto delta_field = reasoning ? &Delta::reasoning : &Delta::content;
        size_t at = pending_.find(tag);
        if (at != std::string::npos) {
          // Newlines right before the tag are formatting.
          size_t keep = at - trailing_newlines(pending_, at);
          add(delta, field, delta_field, std::string_view(pending_).substr(0, keep));
          pending_.erase(0, at + tag.size());
          state_ = reasoning ? State::content : State::tool_call;
          strip_leading_ = true;
          continue;
        }
        if (at_end) {
          // Reasoning cut off by the end of the stream loses its trailing newlines too.
          size_t keep = pending_.size() - (reasoning ? trailing_newlines(pending_, pending_.size()) : 0);
          add(delta, field, delta_field, std::string_view(pending_).substr(0, keep));
          pending_.clear();
          return;
        }
        size_t hold = partial_tag_suffix(pending_, tag);
        hold += trailing_newlines(pending_, pending_.size() - hold);
        add(delta, field, delta_field, std::string_view(pending_).substr(0, pending_.size() - hold));
        pending_.erase(0, pending_.size() - hold);
        return;
      }
      case State::tool_call: {
        size_t at = pending_.find(kCallClose);
        if (at == std::string::npos && !at_end) return;
        std::string_view body = std::string_view(pending_).substr(0, at == std::string::npos ? pending_.size() : at);
        if (auto call = parse_call(body)) {
          output_.tool_calls.push_back(*call);
          delta.tool_calls.push_back(std::move(*call));
        } else {
          // Not a tool call after all: give the text back as content, tags included.
          std::string text = std::string(kCallOpen) + std::string(body);
          if (at != std::string::npos) text += kCallClose;
          if (!output_.content.empty()) text.insert(0, "\n");
          add(delta, &AssistantOutput::content, &Delta::content, text);
        }
        pending_.erase(0, at == std::string::npos ? pending_.size() : at + kCallClose.size());
        state_ = State::content;
        strip_leading_ = true;
        if (at_end && pending_.empty()) return;
        continue;
      }
    }
  }
}

AssistantOutput parse_assistant_output(std::string_view text, bool starts_in_reasoning) {
  ChatOutputParser parser(starts_in_reasoning);
  parser.feed(text);
  parser.finish();
  return parser.output();
}

}  // namespace trit::tokenizer
