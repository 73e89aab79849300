// Byte-level BPE tokenizer (GPT-2 style, Qwen2/Qwen3 pre-tokenizer), equal to Hugging Face
// `tokenizers` on the same tokenizer.json.
//
// encode(text): invalid UTF-8 is first repaired (utf8.h: each maximal ill-formed subpart becomes
// U+FFFD); then added tokens (control and user-defined types) are matched as whole strings,
// leftmost-longest, on the raw text; each span between them is NFC-normalised (utf8proc), split
// by the pre-tokenizer regex (PCRE2 JIT) and each piece merged by BPE rank.
// parse_special = false treats control tokens (<|im_start|>, <|endoftext|>, ...) as plain text;
// user-defined added tokens (<think>, <tool_call>, ...) are still matched, as Hugging Face does
// with split_special_tokens / encode_special_tokens.
//
// A Tokenizer is immutable after construction and safe to share between threads.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/bpe.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/token_trie.h"
#include "tokenizer/vocab.h"

namespace trit::gguf {
class File;
}

namespace trit::tokenizer {

// A byte range [begin, end) of a text.
struct TextSpan {
  size_t begin = 0;
  size_t end = 0;
};

class Tokenizer {
 public:
  // Validates the vocab (unknown model or pre, arrays of different lengths, merges naming
  // unknown tokens, ids out of range are trit::Errors naming the problem).
  explicit Tokenizer(VocabData vocab);
  // read_vocab + the constructor; needs only the metadata, not the weights.
  static Tokenizer from_gguf(const gguf::File& file);
  // Movable, not copyable (the text index points into the vocab's strings).
  Tokenizer(Tokenizer&&) noexcept = default;
  Tokenizer& operator=(Tokenizer&&) noexcept = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;
  // Control tokens are matched only where they overlap none of the `literal` spans (sorted,
  // disjoint): there the text is plain, as with parse_special = false. Splitting and merging run
  // across span edges exactly as for the whole text. Text that is not valid UTF-8 is repaired,
  // which moves offsets: then no control token is matched at all.
  std::vector<int32_t> encode(std::string_view text, const std::vector<TextSpan>& literal) const;
  // Concatenated bytes of the tokens (control tokens as their text unless skip_special; unused
  // entries decode to nothing). May end in half a UTF-8 character if the ids do.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;

  // The raw bytes a token stands for ("Ġhello" -> " hello"; "<|im_end|>" -> itself).
  const std::string& token_bytes(int32_t id) const;
  // The token as the vocab spells it ("Ġhello").
  const std::string& token_text(int32_t id) const;
  int32_t token_type(int32_t id) const;
  bool is_control(int32_t id) const { return token_type(id) == kTokenControl; }
  // End of generation: eos, <|im_end|>, <|endoftext|>.
  bool is_eog(int32_t id) const;
  // The id of the token spelled exactly `text`, if any.
  std::optional<int32_t> find_token(std::string_view text) const;

  int32_t eos_id() const { return vocab_.eos_id; }
  int32_t bos_id() const { return vocab_.bos_id; }
  int32_t pad_id() const { return vocab_.pad_id; }
  bool add_bos() const { return vocab_.add_bos; }
  size_t vocab_size() const { return vocab_.tokens.size(); }
  const VocabData& vocab() const { return vocab_; }
  const std::string& chat_template() const { return vocab_.chat_template; }
  // Every token's bytes in a trie (for grammar masks): built on first use, then shared.
  const TokenTrie& token_trie() const;

 private:
  struct AddedToken {
    std::string text;
    int32_t id;
    bool control;
  };
  void encode_span(std::string_view span, std::vector<int32_t>& out) const;
  bool valid_id(int32_t id) const { return id >= 0 && size_t(id) < vocab_.tokens.size(); }

  VocabData vocab_;
  std::vector<std::string> bytes_;  // id -> decoded bytes
  std::unordered_map<std::string_view, int32_t> by_text_;  // keys point into vocab_.tokens
  BpeMerger merger_;
  PreTokenizer pre_;
  // Added tokens by first byte, longest first, for leftmost-longest matching.
  std::array<std::vector<AddedToken>, 256> added_by_first_byte_;
  std::vector<int32_t> eog_ids_;
  struct LazyTrie {
    std::once_flag once;
    std::unique_ptr<TokenTrie> trie;
  };
  std::shared_ptr<LazyTrie> trie_ = std::make_shared<LazyTrie>();
};

}  // namespace trit::tokenizer
