// The conversation of an Anthropic Messages request -> the chat messages the template renders.
//   system: a string or [{"type": "text", "text"}]            -> one system message first
//   messages[i]: {"role": "user" | "assistant", "content": a string or blocks}
//     user blocks       text, document with a text source      -> a user message (texts joined)
//                       tool_result {tool_use_id, content (a string or text blocks), is_error}
//                                                              -> a tool message, in block order
//     assistant blocks  text                                   -> content
//                       thinking {thinking, signature}         -> reasoning_content
//                       redacted_thinking                      -> dropped (unreadable by design)
//                       tool_use {id, name, input}             -> tool_calls
// The models trit runs read text only: image blocks and PDF documents are a 400, and so is any other
// block type, naming the block ("messages[2].content[1].type"). cache_control and citations on a
// block are accepted and ignored.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "tokenizer/chat.h"

namespace trit::server {

// `body`'s system and messages (ApiError 400 naming the field when malformed).
std::vector<tokenizer::ChatMessage> anthropic_conversation(const nlohmann::json& body);

}  // namespace trit::server
