// make_byte_vocab: a small synthetic byte-level vocab for test models. Layout:
//   0..255      the 256 byte tokens, in the order of the GPT-2 alphabet (as Qwen's vocab starts)
//   256..       tokens made by the merges, learned here by plain BPE training on kTrainingText
//   then        the 26 Qwen3 added tokens, control first, then user-defined
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "tokenizer/byte_level.h"
#include "tokenizer/chat.h"
#include "tokenizer/vocab.h"

namespace trit::tokenizer {
namespace {

constexpr const char* kTrainingText =
    "The engine reads a model from one file and answers questions. It splits the text into "
    "tokens, looks up each token, runs the layers of the network and then samples the next "
    "token. When the answer is finished, the engine stops and waits for the next question. "
    "There are many models in the world, and the small ones are the fastest: they fit in the "
    "cache of the processor and the weights are read again and again without waiting for the "
    "memory. The tokenizer is the first part and the last part of the work; the rest is "
    "arithmetic on numbers that the reader never sees. Then the user reads the answer, thinks "
    "about it, and writes another question into the chat.";

constexpr int kMaxMerges = 300;

// The Qwen3 added tokens in id order with their GGUF types.
const std::pair<const char*, int32_t> kAddedTokens[] = {
    {"<|endoftext|>", kTokenControl},      {"<|im_start|>", kTokenControl},
    {"<|im_end|>", kTokenControl},         {"<|object_ref_start|>", kTokenControl},
    {"<|object_ref_end|>", kTokenControl}, {"<|box_start|>", kTokenControl},
    {"<|box_end|>", kTokenControl},        {"<|quad_start|>", kTokenControl},
    {"<|quad_end|>", kTokenControl},       {"<|vision_start|>", kTokenControl},
    {"<|vision_end|>", kTokenControl},     {"<|vision_pad|>", kTokenControl},
    {"<|image_pad|>", kTokenControl},      {"<|video_pad|>", kTokenControl},
    {"<tool_call>", kTokenUserDefined},    {"</tool_call>", kTokenUserDefined},
    {"<|fim_prefix|>", kTokenUserDefined}, {"<|fim_middle|>", kTokenUserDefined},
    {"<|fim_suffix|>", kTokenUserDefined}, {"<|fim_pad|>", kTokenUserDefined},
    {"<|repo_name|>", kTokenUserDefined},  {"<|file_sep|>", kTokenUserDefined},
    {"<tool_response>", kTokenUserDefined}, {"</tool_response>", kTokenUserDefined},
    {"<think>", kTokenUserDefined},        {"</think>", kTokenUserDefined},
};

// Words of the training text in byte-level spelling, a space attached to the word after it
// (as the qwen2 pre-tokenizer splits), each as a list of symbols, with their counts.
std::map<std::vector<std::string>, int> training_words() {
  std::map<std::vector<std::string>, int> words;
  std::istringstream in(kTrainingText);
  std::string word;
  bool first = true;
  while (in >> word) {
    std::vector<std::string> symbols;
    if (!first) symbols.push_back(byte_to_piece(' '));
    for (unsigned char c : word) symbols.push_back(byte_to_piece(c));
    ++words[symbols];
    first = false;
  }
  return words;
}

}  // namespace

VocabData make_byte_vocab() {
  VocabData vocab;
  std::set<std::string> known;
  // The GPT-2 order: printable bytes by value first, then the 68 remapped ones.
  for (uint32_t cp = 0; cp < 256 + 68; ++cp) {
    int b = byte_from_codepoint(cp);
    if (b < 0) continue;
    vocab.tokens.push_back(byte_to_piece(uint8_t(b)));
    known.insert(vocab.tokens.back());
  }

  // Plain BPE training: merge the most frequent adjacent pair (ties: smallest pair) until
  // kMaxMerges or every word is one symbol.
  auto words = training_words();
  for (int step = 0; step < kMaxMerges; ++step) {
    std::map<std::pair<std::string, std::string>, int> counts;
    for (const auto& [symbols, count] : words)
      for (size_t i = 0; i + 1 < symbols.size(); ++i) counts[{symbols[i], symbols[i + 1]}] += count;
    auto best = counts.end();
    for (auto it = counts.begin(); it != counts.end(); ++it)
      if (best == counts.end() || it->second > best->second) best = it;
    if (best == counts.end()) break;
    auto [left, right] = best->first;
    vocab.merges.push_back(left + " " + right);
    if (known.insert(left + right).second) vocab.tokens.push_back(left + right);
    std::map<std::vector<std::string>, int> merged;
    for (const auto& [symbols, count] : words) {
      std::vector<std::string> next;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          next.push_back(left + right);
          ++i;
        } else {
          next.push_back(symbols[i]);
        }
      }
      merged[next] += count;
    }
    words = std::move(merged);
  }
  vocab.token_types.assign(vocab.tokens.size(), kTokenNormal);

  for (const auto& [text, type] : kAddedTokens) {
    if (std::string(text) == "<|endoftext|>") vocab.bos_id = vocab.pad_id = int32_t(vocab.tokens.size());
    if (std::string(text) == "<|im_end|>") vocab.eos_id = int32_t(vocab.tokens.size());
    vocab.tokens.push_back(text);
    vocab.token_types.push_back(type);
  }
  vocab.add_bos = false;
  vocab.chat_template = kQwen3ChatTemplate;
  return vocab;
}

}  // namespace trit::tokenizer
