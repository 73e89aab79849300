// Saved base-model distributions for KL comparisons without holding both models at once
// (`trit perplexity --save-logits FILE` on the base, then `--kl-logits FILE` on the other model).
//
// What is stored per scored token is the base's top-k log-probabilities (k = --save-top-k,
// default 128) plus the log of the remaining mass, not the full vocabulary: 8 + 8 k bytes per
// token (about 1 KiB for k = 128, instead of 300 KiB for a full f16 log-softmax of Qwen3's 151,936
// entries). The KL computed from it is over the top-k and "any other token" (a lower bound, exact
// when k covers the vocabulary; see perplexity_math.h). Top-1 agreement and delta-p are exact.
//
// File layout (little-endian, version 1):
//   char[8] magic "TRITLOGP"
//   u32 version (1), u32 n_vocab, u32 context (window length), u32 top_k (1..n_vocab)
//   u64 n_windows
//   u32 label length (<= 4096), label bytes (the base model's file name, for messages)
//   u32 tokens[n_windows * context]          the evaluated text, so a reader can check it matches
//   records, for each window, for each scored position j = context/2 .. context-2:
//     f32 target_log_prob                    log p_B of the actual next token
//     f32 rest_log_prob                      log of p_B over all tokens outside the top-k
//                                            (-inf when top_k == n_vocab)
//     top_k x { u32 id, f32 log_prob }        descending by log_prob
// The file size must be exactly what the header implies.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/perplexity_math.h"
#include "util/atomic_file.h"

namespace trit::engine {

struct SavedLogitsHeader {
  uint32_t n_vocab = 0;
  uint32_t context = 0;
  uint32_t top_k = 0;
  uint64_t n_windows = 0;
  std::string label;

  uint64_t scored_per_window() const { return context - 1 - context / 2; }
  uint64_t record_bytes() const { return 8 + 8 * uint64_t(top_k); }
};

struct SavedRecord {
  float target_log_prob = 0;
  float rest_log_prob = 0;
  std::vector<TopEntry> top;  // top_k entries, descending
};

// Writes atomically (util/atomic_file.h): a temporary file beside the destination, renamed by
// finish(); destroyed unfinished (an error, a SIGINT/SIGTERM), it removes the temporary file.
class SavedLogitsWriter {
 public:
  SavedLogitsWriter(const std::string& path, const SavedLogitsHeader& header, const std::vector<int32_t>& tokens);
  ~SavedLogitsWriter();
  SavedLogitsWriter(const SavedLogitsWriter&) = delete;
  SavedLogitsWriter& operator=(const SavedLogitsWriter&) = delete;

  void add(float target_log_prob, float rest_log_prob, const TopEntry* top);  // top_k entries
  void finish();

 private:
  void put(const void* bytes, size_t n);

  std::string path_;
  SavedLogitsHeader header_;
  std::unique_ptr<AtomicFile> file_;
  uint64_t records_ = 0;
};

// Reads and validates as it goes: the header and tokens at open (and the file size against them),
// each record when read (ids in range, log-probabilities finite and <= 0, descending order).
// Every problem is a trit::Error naming the file and what is wrong.
class SavedLogitsReader {
 public:
  explicit SavedLogitsReader(const std::string& path);
  ~SavedLogitsReader();
  SavedLogitsReader(const SavedLogitsReader&) = delete;
  SavedLogitsReader& operator=(const SavedLogitsReader&) = delete;

  const SavedLogitsHeader& header() const { return header_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  // The next record in file order.
  void next(SavedRecord& record);

 private:
  void get(void* bytes, size_t n, const char* what);

  std::string path_;
  SavedLogitsHeader header_;
  std::vector<int32_t> tokens_;
  std::FILE* in_ = nullptr;
  uint64_t records_read_ = 0;
};

}  // namespace trit::engine
