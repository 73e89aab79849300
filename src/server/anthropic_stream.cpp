#include "server/anthropic_stream.h"

#include <iterator>
#include <utility>

#include "server/api_error.h"
#include "server/context.h"
#include "server/openai_response.h"

namespace trit::server {

using json = nlohmann::json;

namespace {

// Anthropic's id style: "msg_…", "toolu_…".
std::string anthropic_id(const char* prefix) {
  std::string id = make_id(prefix);
  id[id.find('-')] = '_';
  return id;
}

std::string event(const char* name, const json& data) {
  return std::string("event: ") + name + "\ndata: " + dump_json(data) + "\n\n";
}

// A tool_use block's input must be an object; arguments the model wrote as another JSON value
// are wrapped rather than dropped.
json tool_input(const tokenizer::ParsedToolCall& call) {
  json args = json::parse(call.arguments.dump(-1, ' ', false, json::error_handler_t::replace));
  if (args.is_object()) return args;
  return {{"arguments", args}};
}

json tool_use_block(const tokenizer::ParsedToolCall& call, json input) {
  return {{"type", "tool_use"}, {"id", anthropic_id("toolu")}, {"name", call.name}, {"input", std::move(input)}};
}

json usage(const engine::RequestResult& r) {
  return {{"input_tokens", r.prompt_tokens - r.cached_tokens},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", r.cached_tokens},
          {"output_tokens", r.generated_tokens}};
}


json stop_sequence(const engine::RequestResult& r) {
  if (r.reason == engine::StopReason::stop_string) return r.stop_string;
  return nullptr;
}

}  // namespace

AnthropicStream::AnthropicStream(const GenerationRequest& request, std::string model_id)
    : request_(request), model_id_(std::move(model_id)), id_(anthropic_id("msg")) {}

const char* AnthropicStream::stop_reason() const {
  if (!parser_.output().tool_calls.empty()) return "tool_use";
  switch (result_->reason) {
    case engine::StopReason::max_tokens: return "max_tokens";
    case engine::StopReason::context_full: return "model_context_window_exceeded";
    case engine::StopReason::stop_string: return "stop_sequence";
    default: return "end_turn";
  }
}

std::string AnthropicStream::keep_alive() const { return event("ping", {{"type", "ping"}}); }

void AnthropicStream::open_block(std::string& events, Block kind, const json& block) {
  close_block(events);
  events += event("content_block_start", {{"type", "content_block_start"}, {"index", index_}, {"content_block", block}});
  open_ = kind;
}

void AnthropicStream::close_block(std::string& events) {
  if (open_ == Block::none) return;
  events += event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
  ++index_;
  open_ = Block::none;
}

void AnthropicStream::send_delta(std::string& events, const tokenizer::ChatOutputParser::Delta& d) {
  auto delta = [&](json body) {
    events += event("content_block_delta", {{"type", "content_block_delta"}, {"index", index_}, {"delta", body}});
  };
  if (!d.reasoning.empty()) {
    if (open_ != Block::thinking) open_block(events, Block::thinking, {{"type", "thinking"}, {"thinking", ""}, {"signature", ""}});
    delta({{"type", "thinking_delta"}, {"thinking", d.reasoning}});
  }
  if (!d.content.empty()) {
    if (open_ != Block::text) open_block(events, Block::text, {{"type", "text"}, {"text", ""}});
    delta({{"type", "text_delta"}, {"text", d.content}});
    text_sent_ = true;
  }
  for (const tokenizer::ParsedToolCall& call : d.tool_calls) {
    close_block(events);
    events += event("content_block_start", {{"type", "content_block_start"},
                                            {"index", index_},
                                            {"content_block", tool_use_block(call, json::object())}});
    delta({{"type", "input_json_delta"}, {"partial_json", dump_json(tool_input(call))}});
    events += event("content_block_stop", {{"type", "content_block_stop"}, {"index", index_}});
    ++index_;
  }
}

std::string AnthropicStream::stream_events(const engine::RequestOutput& out) {
  std::string events;
  if (out.done) {
    if (auto error = result_error(out.result, ErrorShape::anthropic)) return event("error", *error);
  }
  if (!started_) {
    const auto prompt = static_cast<int64_t>(request_.scheduled.prompt.size());
    json message = {{"id", id_},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", model_id_},
                    {"content", json::array()},
                    {"stop_reason", nullptr},
                    {"stop_sequence", nullptr},
                    {"usage", {{"input_tokens", prompt}, {"cache_creation_input_tokens", 0},
                               {"cache_read_input_tokens", 0}, {"output_tokens", 0}}}};
    events += event("message_start", {{"type", "message_start"}, {"message", message}});
    events += event("ping", {{"type", "ping"}});
    started_ = true;
  }
  tokenizer::ChatOutputParser::Delta d = parser_.feed(out.text);
  if (out.done) d += parser_.finish();
  send_delta(events, d);
  if (!out.done) return events;

  result_ = out.result;
  if (!text_sent_ && parser_.output().tool_calls.empty()) open_block(events, Block::text, {{"type", "text"}, {"text", ""}});
  close_block(events);
  events += event("message_delta", {{"type", "message_delta"},
                                    {"delta", {{"stop_reason", stop_reason()}, {"stop_sequence", stop_sequence(*result_)}}},
                                    {"usage", usage(*result_)}});
  events += event("message_stop", {{"type", "message_stop"}});
  return events;
}

void AnthropicStream::accumulate(const engine::RequestOutput& out) {
  parser_.feed(out.text);
  if (out.done) {
    parser_.finish();
    result_ = out.result;
  }
}

json AnthropicStream::final_object() const {
  if (auto error = result_error(*result_, ErrorShape::anthropic)) return *error;
  const tokenizer::AssistantOutput& o = parser_.output();
  json content = json::array();
  if (!o.reasoning.empty()) content.push_back({{"type", "thinking"}, {"thinking", o.reasoning}, {"signature", ""}});
  if (!o.content.empty() || o.tool_calls.empty()) content.push_back({{"type", "text"}, {"text", o.content}});
  for (const tokenizer::ParsedToolCall& call : o.tool_calls) content.push_back(tool_use_block(call, tool_input(call)));
  return {{"id", id_},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model_id_},
          {"content", content},
          {"stop_reason", stop_reason()},
          {"stop_sequence", stop_sequence(*result_)},
          {"usage", usage(*result_)}};
}

}  // namespace trit::server
