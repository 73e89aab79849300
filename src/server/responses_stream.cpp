#include "server/responses_stream.h"

#include <algorithm>
#include <ctime>
#include <utility>

#include "server/api_error.h"
#include "server/context.h"
#include "server/responses_items.h"

namespace trit::server {

using json = nlohmann::json;

namespace {

bool all_space(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
}


}  // namespace

ResponsesStream::ResponsesStream(const GenerationRequest& generation, ResponsesRequest request,
                                 const tokenizer::Tokenizer& tokenizer, std::string model_id, ResponseStore& store)
    : request_(std::move(request)),
      tokenizer_(tokenizer),
      model_id_(std::move(model_id)),
      id_(responses_id("resp")),
      created_at_(static_cast<int64_t>(std::time(nullptr))),
      store_(store),
      streaming_(generation.stream) {}

json ResponsesStream::response_object(const char* status) const {
  json r = request_.echo;
  r["id"] = id_;
  r["object"] = "response";
  r["created_at"] = created_at_;
  r["status"] = status;
  r["background"] = false;
  r["error"] = nullptr;
  r["incomplete_details"] = nullptr;
  r["model"] = model_id_;
  r["output"] = output_;
  r["service_tier"] = "default";
  if (!r.contains("truncation")) r["truncation"] = "disabled";  // the prompt is never cut: too long is a 400
  r["usage"] = nullptr;
  if (!r.contains("user")) r["user"] = nullptr;
  return r;
}

void ResponsesStream::emit(const char* type, json data) {
  if (!streaming_) return;
  data["type"] = type;
  data["sequence_number"] = sequence_++;
  events_ += std::string("event: ") + type + "\ndata: " + dump_json(data) + "\n\n";
}

void ResponsesStream::close_open(const char* status) {
  if (open_ == Open::none) return;
  const int64_t index = static_cast<int64_t>(output_.size()) - 1;
  json& item = open_item();
  const json id = item["id"];
  if (open_ == Open::reasoning) {
    item["content"] = json::array({{{"type", "reasoning_text"}, {"text", open_text_}}});
    emit("response.reasoning_text.done",
         {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"text", open_text_}});
  } else {
    json part = {{"type", "output_text"}, {"text", open_text_}, {"annotations", json::array()}};
    item["content"] = json::array({part});
    emit("response.output_text.done", {{"item_id", id},
                                       {"output_index", index},
                                       {"content_index", 0},
                                       {"text", open_text_},
                                       {"logprobs", json::array()}});
    emit("response.content_part.done", {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"part", part}});
  }
  item["status"] = status;
  emit("response.output_item.done", {{"output_index", index}, {"item", item}});
  open_ = Open::none;
  open_text_.clear();
}

void ResponsesStream::add_reasoning(const std::string& text) {
  if (open_ != Open::reasoning) {
    close_open();
    output_.push_back({{"type", "reasoning"}, {"id", responses_id("rs")}, {"summary", json::array()}, {"status", "in_progress"}});
    emit("response.output_item.added", {{"output_index", output_.size() - 1}, {"item", open_item()}});
    open_ = Open::reasoning;
  }
  open_text_ += text;
  emit("response.reasoning_text.delta",
       {{"item_id", open_item()["id"]}, {"output_index", output_.size() - 1}, {"content_index", 0}, {"delta", text}});
}

void ResponsesStream::add_content(const std::string& text) {
  std::string delta = text;
  if (open_ != Open::message) {
    held_space_ += text;
    if (all_space(held_space_)) return;  // e.g. the newlines between a tool call and the end
    delta = std::move(held_space_);
    held_space_.clear();
    close_open();
    output_.push_back({{"type", "message"},
                       {"id", responses_id("msg")},
                       {"role", "assistant"},
                       {"status", "in_progress"},
                       {"content", json::array()}});
    const size_t index = output_.size() - 1;
    emit("response.output_item.added", {{"output_index", index}, {"item", open_item()}});
    emit("response.content_part.added",
         {{"item_id", open_item()["id"]},
          {"output_index", index},
          {"content_index", 0},
          {"part", {{"type", "output_text"}, {"text", ""}, {"annotations", json::array()}}}});
    open_ = Open::message;
  }
  open_text_ += delta;
  emit("response.output_text.delta", {{"item_id", open_item()["id"]},
                                      {"output_index", output_.size() - 1},
                                      {"content_index", 0},
                                      {"delta", delta},
                                      {"logprobs", json::array()}});
}

void ResponsesStream::add_function_call(const tokenizer::ParsedToolCall& call) {
  close_open();
  held_space_.clear();
  const std::string arguments = call.arguments.is_string()
      ? call.arguments.get<std::string>()
      : call.arguments.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  json item = {{"type", "function_call"}, {"id", responses_id("fc")}, {"call_id", responses_id("call")},
               {"name", call.name},       {"arguments", ""},          {"status", "in_progress"}};
  const size_t index = output_.size();
  emit("response.output_item.added", {{"output_index", index}, {"item", item}});
  emit("response.function_call_arguments.delta", {{"item_id", item["id"]}, {"output_index", index}, {"delta", arguments}});
  emit("response.function_call_arguments.done",
       {{"item_id", item["id"]}, {"output_index", index}, {"name", call.name}, {"arguments", arguments}});
  item["arguments"] = arguments;
  item["status"] = "completed";
  emit("response.output_item.done", {{"output_index", index}, {"item", item}});
  output_.push_back(std::move(item));
}

void ResponsesStream::take(const engine::RequestOutput& out) {
  if (!started_) {
    started_ = true;
    json r = response_object("in_progress");
    emit("response.created", {{"response", r}});
    emit("response.in_progress", {{"response", r}});
  }
  if (out.done && result_failure(out.result)) return finish(out.result);
  auto apply = [&](const tokenizer::ChatOutputParser::Delta& delta) {
    if (!delta.reasoning.empty()) add_reasoning(delta.reasoning);
    if (!delta.content.empty()) add_content(delta.content);
    for (const auto& call : delta.tool_calls) add_function_call(call);
  };
  apply(parser_.feed(out.text));
  if (out.done) {
    apply(parser_.finish());
    finish(out.result);
  }
}

void ResponsesStream::finish(const engine::RequestResult& result) {
  if (auto failure = result_failure(result)) {
    close_open("incomplete");
    json r = response_object("failed");
    r["error"] = {{"code", failure->code}, {"message", failure->message}};
    emit("response.failed", {{"response", r}});
    final_ = error_body(failure->status, failure->message, "", failure->code);
    return;
  }
  const bool cut = result.reason == engine::StopReason::max_tokens || result.reason == engine::StopReason::context_full;
  close_open(cut ? "incomplete" : "completed");
  json r = response_object(cut ? "incomplete" : "completed");
  if (cut) r["incomplete_details"] = {{"reason", "max_output_tokens"}};
  const std::string& reasoning = parser_.output().reasoning;
  const int64_t reasoning_tokens = reasoning.empty() ? 0
      : std::min<int64_t>(result.generated_tokens,
                          static_cast<int64_t>(tokenizer_.encode(reasoning, false).size()) + 2);  // + <think></think>
  r["usage"] = {{"input_tokens", result.prompt_tokens},
                {"input_tokens_details", {{"cached_tokens", result.cached_tokens}}},
                {"output_tokens", result.generated_tokens},
                {"output_tokens_details", {{"reasoning_tokens", reasoning_tokens}}},
                {"total_tokens", result.prompt_tokens + result.generated_tokens}};
  if (request_.store) {
    json conversation = std::move(request_.history);
    conversation.insert(conversation.end(), request_.input_items.begin(), request_.input_items.end());
    conversation.insert(conversation.end(), output_.begin(), output_.end());
    store_.put(id_, {r, request_.input_items, std::move(conversation)});
  }
  emit(cut ? "response.incomplete" : "response.completed", {{"response", r}});
  final_ = std::move(r);
}

std::string ResponsesStream::stream_events(const engine::RequestOutput& out) {
  take(out);
  return std::exchange(events_, std::string());
}

void ResponsesStream::accumulate(const engine::RequestOutput& out) { take(out); }

json ResponsesStream::final_object() const { return final_; }

}  // namespace trit::server
