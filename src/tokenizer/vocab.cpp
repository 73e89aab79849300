// read_vocab / write_vocab: the tokenizer.ggml.* keys of a GGUF <-> VocabData.
#include "tokenizer/vocab.h"

#include <limits>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "util/error.h"

namespace trit::tokenizer {
namespace {

constexpr const char* kModel = "tokenizer.ggml.model";
constexpr const char* kPre = "tokenizer.ggml.pre";
constexpr const char* kTokens = "tokenizer.ggml.tokens";
constexpr const char* kTypes = "tokenizer.ggml.token_type";
constexpr const char* kScores = "tokenizer.ggml.scores";
constexpr const char* kMerges = "tokenizer.ggml.merges";
constexpr const char* kEos = "tokenizer.ggml.eos_token_id";
constexpr const char* kPad = "tokenizer.ggml.padding_token_id";
constexpr const char* kBos = "tokenizer.ggml.bos_token_id";
constexpr const char* kAddBos = "tokenizer.ggml.add_bos_token";
constexpr const char* kTemplate = "tokenizer.chat_template";

int32_t optional_id(const gguf::File& file, const char* key) {
  if (!file.has(key)) return -1;
  int64_t id = file.get_int(key);
  if (id < 0 || id > std::numeric_limits<int32_t>::max())
    fail("GGUF key ", key, " holds ", id, ", not a token id");
  return int32_t(id);
}

}  // namespace

VocabData read_vocab(const gguf::File& file) {
  VocabData vocab;
  if (!file.has(kModel)) fail(file.path(), ": no tokenizer in this GGUF (", kModel, " is missing)");
  vocab.model = file.get_string(kModel);
  vocab.pre = file.get_string_or(kPre, "default");
  vocab.tokens = file.get_string_array(kTokens);
  size_t n = vocab.tokens.size();
  if (file.has(kTypes)) {
    std::vector<int64_t> types = file.get_int_array(kTypes);
    if (types.size() != n)
      fail(file.path(), ": ", kTypes, " has ", types.size(), " entries but ", kTokens, " has ", n);
    vocab.token_types.reserve(n);
    for (int64_t t : types) vocab.token_types.push_back(int32_t(t));
  } else {
    vocab.token_types.assign(n, kTokenNormal);
  }
  if (file.has(kScores)) {
    size_t scores = file.get_float_array(kScores).size();
    if (scores != n) fail(file.path(), ": ", kScores, " has ", scores, " entries but ", kTokens, " has ", n);
  }
  if (file.has(kMerges)) vocab.merges = file.get_string_array(kMerges);
  vocab.eos_id = optional_id(file, kEos);
  vocab.bos_id = optional_id(file, kBos);
  vocab.pad_id = optional_id(file, kPad);
  vocab.add_bos = file.get_bool_or(kAddBos, false);
  vocab.chat_template = file.get_string_or(kTemplate, "");
  return vocab;
}

void write_vocab(gguf::Writer& writer, const VocabData& vocab) {
  if (vocab.token_types.size() != vocab.tokens.size())
    fail("write_vocab: ", vocab.token_types.size(), " token types for ", vocab.tokens.size(), " tokens");
  writer.set(kModel, gguf::Value{vocab.model});
  writer.set(kPre, gguf::Value{vocab.pre});
  writer.set(kTokens, gguf::Value::of_strings(vocab.tokens));
  writer.set(kTypes, gguf::Value::of_i32s(vocab.token_types));
  writer.set(kMerges, gguf::Value::of_strings(vocab.merges));
  // A Bonsai file stores the ids as u32, in this order.
  if (vocab.eos_id >= 0) writer.set(kEos, gguf::Value{uint32_t(vocab.eos_id)});
  if (vocab.pad_id >= 0) writer.set(kPad, gguf::Value{uint32_t(vocab.pad_id)});
  if (vocab.bos_id >= 0) writer.set(kBos, gguf::Value{uint32_t(vocab.bos_id)});
  writer.set(kAddBos, gguf::Value{vocab.add_bos});
  if (!vocab.chat_template.empty()) writer.set(kTemplate, gguf::Value{vocab.chat_template});
}

}  // namespace trit::tokenizer
