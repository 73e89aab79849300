#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "gguf/reader.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer_patterns.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::tokenizer {
namespace {

const PreTokenizerPattern& checked_pattern(const VocabData& v) {
  if (v.model != "gpt2")
    fail("tokenizer model '", v.model, "' is not supported (trit supports byte-level BPE, 'gpt2')");
  const PreTokenizerPattern* p = find_pretokenizer(v.pre);
  if (!p) fail("tokenizer pre-tokenizer '", v.pre, "' is not supported (supported: ", supported_pretokenizers(), ")");
  return *p;
}

// Decoded bytes of one vocab entry, by type.
std::string entry_bytes(const std::string& text, int32_t type) {
  switch (type) {
    case kTokenControl:
    case kTokenUserDefined:
      return text;  // added tokens are stored verbatim
    case kTokenUnused:
      return "";
    case kTokenByte:
      if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>')
        return std::string(1, char(std::strtol(text.substr(3, 2).c_str(), nullptr, 16)));
      return text;
    default: {
      std::string bytes;
      // A normal token outside the byte alphabet (not in a well-formed vocab) decodes verbatim.
      if (!piece_to_bytes(text, bytes)) return text;
      return bytes;
    }
  }
}

}  // namespace

void check_vocab(const VocabData& vocab) { Tokenizer{vocab}; }

Tokenizer Tokenizer::from_gguf(const gguf::File& file) { return Tokenizer(read_vocab(file)); }

Tokenizer::Tokenizer(VocabData vocab) : vocab_(std::move(vocab)), pre_(checked_pattern(vocab_).pcre2) {
  const size_t n = vocab_.tokens.size();
  if (n == 0) fail("tokenizer vocab is empty");
  if (vocab_.token_types.size() != n)
    fail("tokenizer has ", n, " tokens but ", vocab_.token_types.size(), " token types");
  if (n > size_t(INT32_MAX)) fail("tokenizer vocab has too many tokens: ", n);
  for (auto [name, id] : {std::pair{"eos", vocab_.eos_id}, {"bos", vocab_.bos_id}, {"padding", vocab_.pad_id}})
    if (id >= int64_t(n)) fail("tokenizer ", name, " token id ", id, " is outside the vocab of ", n, " tokens");

  bytes_.resize(n);
  by_text_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    int32_t type = vocab_.token_types[id];
    if (type < kTokenNormal || type > kTokenByte)
      fail("token ", id, " '", vocab_.tokens[id], "' has unknown token type ", type);
    bytes_[id] = entry_bytes(vocab_.tokens[id], type);
    by_text_.emplace(vocab_.tokens[id], int32_t(id));  // the first of duplicates wins
    if ((type == kTokenControl || type == kTokenUserDefined) && !vocab_.tokens[id].empty())
      added_by_first_byte_[static_cast<unsigned char>(vocab_.tokens[id][0])].push_back(
          {vocab_.tokens[id], int32_t(id), type == kTokenControl});
  }
  for (auto& list : added_by_first_byte_)
    std::stable_sort(list.begin(), list.end(),
                     [](const AddedToken& a, const AddedToken& b) { return a.text.size() > b.text.size(); });

  std::array<int32_t, 256> byte_tokens{};
  for (int b = 0; b < 256; ++b) {
    auto it = by_text_.find(byte_to_piece(uint8_t(b)));
    if (it == by_text_.end())
      fail("byte-level vocab has no token for byte 0x", "0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15],
           " ('", byte_to_piece(uint8_t(b)), "')");
    byte_tokens[b] = it->second;
  }

  std::unordered_map<uint64_t, BpeMerger::Merge> merges;
  merges.reserve(vocab_.merges.size());
  std::string joined;
  for (size_t rank = 0; rank < vocab_.merges.size(); ++rank) {
    const std::string& m = vocab_.merges[rank];
    size_t space = m.find(' ', 1);  // a leading space would be a token of its own; not in gpt2 vocabs
    if (space == std::string::npos || space + 1 >= m.size() || m.find(' ', space + 1) != std::string::npos)
      fail("tokenizer merge ", rank, " '", m, "' is not two tokens separated by one space");
    std::string_view left(m.data(), space), right(m.data() + space + 1, m.size() - space - 1);
    auto l = by_text_.find(left), r = by_text_.find(right);
    joined.assign(left);
    joined.append(right);
    auto j = by_text_.find(joined);
    if (l == by_text_.end() || r == by_text_.end() || j == by_text_.end())
      fail("tokenizer merge ", rank, " '", m, "' names a token that is not in the vocab ('",
           l == by_text_.end() ? std::string(left) : r == by_text_.end() ? std::string(right) : joined, "')");
    // A repeated pair keeps its first (lowest) rank, as Hugging Face's merge map does.
    merges.emplace(BpeMerger::key(l->second, r->second), BpeMerger::Merge{int32_t(rank), j->second});
  }
  merger_ = BpeMerger(byte_tokens, std::move(merges));

  if (vocab_.eos_id >= 0) eog_ids_.push_back(vocab_.eos_id);
  for (const char* text : {"<|im_end|>", "<|endoftext|>"})
    if (auto id = find_token(text); id && std::find(eog_ids_.begin(), eog_ids_.end(), *id) == eog_ids_.end())
      eog_ids_.push_back(*id);
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  auto it = by_text_.find(text);
  if (it == by_text_.end()) return std::nullopt;
  return it->second;
}

const std::string& Tokenizer::token_bytes(int32_t id) const {
  if (!valid_id(id)) fail("token id ", id, " is outside the vocab of ", vocab_.tokens.size(), " tokens");
  return bytes_[id];
}

const std::string& Tokenizer::token_text(int32_t id) const {
  if (!valid_id(id)) fail("token id ", id, " is outside the vocab of ", vocab_.tokens.size(), " tokens");
  return vocab_.tokens[id];
}

int32_t Tokenizer::token_type(int32_t id) const {
  if (!valid_id(id)) fail("token id ", id, " is outside the vocab of ", vocab_.tokens.size(), " tokens");
  return vocab_.token_types[id];
}

bool Tokenizer::is_eog(int32_t id) const {
  return std::find(eog_ids_.begin(), eog_ids_.end(), id) != eog_ids_.end();
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) {
    if (skip_special && token_type(id) == kTokenControl) continue;
    out += token_bytes(id);
  }
  return out;
}

void Tokenizer::encode_span(std::string_view span, std::vector<int32_t>& out) const {
  if (span.empty()) return;
  thread_local std::string normalized;
  thread_local std::vector<std::string_view> pieces;
  std::string_view text = span;
  if (std::any_of(span.begin(), span.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    normalized.clear();
    append_nfc(span, normalized);  // ASCII is NFC already: only other text pays for utf8proc
    text = normalized;
  }
  pieces.clear();
  pre_.split_into(text, pieces);
  for (std::string_view piece : pieces) merger_.encode(piece, out);
}

std::vector<int32_t> Tokenizer::encode(std::string_view input, bool parse_special) const {
  if (parse_special) return encode(input, std::vector<TextSpan>{});
  return encode(input, std::vector<TextSpan>{{0, input.size()}});
}

std::vector<int32_t> Tokenizer::encode(std::string_view input, const std::vector<TextSpan>& literal) const {
  std::string repaired;
  std::vector<TextSpan> all_literal;
  const std::vector<TextSpan>* plain = &literal;
  if (!is_valid_utf8(input)) {
    repaired = repair_utf8(input);
    input = repaired;
    if (!literal.empty()) {  // the spans' offsets no longer hold: the safe reading is all text
      all_literal.push_back({0, input.size()});
      plain = &all_literal;
    }
  }
  std::vector<int32_t> out;
  out.reserve(input.size() / 3 + 4);
  size_t span_start = 0;
  size_t next_plain = 0;  // the first literal span that ends after i
  for (size_t i = 0; i < input.size();) {
    while (next_plain < plain->size() && (*plain)[next_plain].end <= i) ++next_plain;
    // Spans are sorted and disjoint, so only this one can overlap a token starting at i.
    const size_t plain_from = next_plain < plain->size() ? (*plain)[next_plain].begin : input.size();
    const AddedToken* match = nullptr;
    for (const AddedToken& t : added_by_first_byte_[static_cast<unsigned char>(input[i])]) {
      if ((!t.control || i + t.text.size() <= plain_from) && input.compare(i, t.text.size(), t.text) == 0) {
        match = &t;
        break;
      }
    }
    if (!match) {
      ++i;
      continue;
    }
    encode_span(input.substr(span_start, i - span_start), out);
    out.push_back(match->id);
    i += match->text.size();
    span_start = i;
  }
  encode_span(input.substr(span_start), out);
  return out;
}

}  // namespace trit::tokenizer
