// Tokenizer vocabulary as GGUF stores it (tokenizer.ggml.*), independent of how it is used.
// Three sources fill a VocabData: a GGUF file (read_vocab), a Hugging Face tokenizer.json
// (import_hf_tokenizer) and the built-in synthetic byte vocab (make_byte_vocab); write_vocab
// writes one back with exactly the keys, types and order of a Ternary-Bonsai GGUF.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace trit::gguf {
class File;
class Writer;
}  // namespace trit::gguf

namespace trit::tokenizer {

// tokenizer.ggml.token_type values (llama.cpp's numbering).
enum TokenType : int32_t {
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,      // special tokens: <|endoftext|>, <|im_start|>, <|im_end|>, ...
  kTokenUserDefined = 4,  // added but not special: <think>, <tool_call>, ...
  kTokenUnused = 5,       // padding entries such as [PAD151669]
  kTokenByte = 6,         // <0xAB> byte tokens (SentencePiece vocabularies)
};

struct VocabData {
  std::string model = "gpt2";  // tokenizer.ggml.model: byte-level BPE
  std::string pre = "qwen2";   // tokenizer.ggml.pre: which pre-tokenizer regex
  std::vector<std::string> tokens;    // id -> text (byte-level alphabet for normal tokens)
  std::vector<int32_t> token_types;   // id -> TokenType, same length as tokens
  std::vector<std::string> merges;    // "left right", rank = index
  int32_t eos_id = -1;                // -1 = absent
  int32_t bos_id = -1;
  int32_t pad_id = -1;
  bool add_bos = false;
  std::string chat_template;          // Jinja source; empty = absent
};

// Reads tokenizer.ggml.* from a GGUF; throws trit::Error naming a missing key or arrays of
// different lengths (tokens, token_type, scores). Full consistency checks happen in
// check_vocab (called by the Tokenizer constructor too).
VocabData read_vocab(const gguf::File& file);

// Writes the keys in the order and with the types of a real Bonsai file: model, pre, tokens,
// token_type (i32), merges, eos/padding/bos ids (u32), add_bos_token (bool), chat_template.
void write_vocab(gguf::Writer& writer, const VocabData& vocab);

// Validates a vocab as the tokenizer needs it: known model and pre, arrays of equal length,
// special ids in range, every merge "a b" naming tokens a, b and a+b. Throws trit::Error.
void check_vocab(const VocabData& vocab);

// Each argument is either the JSON text itself (starting with '{') or the path of the file.
// Imports a Hugging Face tokenizer.json (BPE with a ByteLevel pre-tokenizer; merges as "a b"
// strings or [a, b] pairs) and optionally tokenizer_config.json (chat template, eos/pad
// tokens, add_bos_token). Added tokens become control (special) or user-defined (not special)
// entries; pad_to > 0 pads the vocab with "[PAD<id>]" unused entries up to that size, as the
// published GGUFs do. Qwen convention: with no bos_token in the config, bos = <|endoftext|>.
VocabData import_hf_tokenizer(const std::string& tokenizer_json,
                              const std::string& tokenizer_config_json, int64_t pad_to);

// A small synthetic byte-level vocab for models made without a real tokenizer: the 256 byte
// tokens, a few hundred merges learned from a built-in English paragraph, then the 26 Qwen3
// added tokens with their real types; eos = <|im_end|>, bos = pad = <|endoftext|>, the Qwen3
// chat template.
VocabData make_byte_vocab();

}  // namespace trit::tokenizer
