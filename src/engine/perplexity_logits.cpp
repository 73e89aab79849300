#include "engine/perplexity_logits.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "util/atomic_file.h"
#include "util/error.h"

namespace trit::engine {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'I', 'T', 'L', 'O', 'G', 'P'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxLabel = 4096;
// A log-probability computed in float can round a hair above 0 for a token holding all the mass.
constexpr float kLogProbSlack = 1e-3f;

}  // namespace

SavedLogitsWriter::SavedLogitsWriter(const std::string& path, const SavedLogitsHeader& header,
                                     const std::vector<int32_t>& tokens)
    : path_(path), header_(header) {
  if (header_.label.size() > kMaxLabel) header_.label.resize(kMaxLabel);
  if (tokens.size() != header_.n_windows * header_.context) fail("saved logits: token count does not match the header");
  file_ = std::make_unique<AtomicFile>(path);
  put(kMagic, sizeof kMagic);
  const uint32_t fields[4] = {kVersion, header_.n_vocab, header_.context, header_.top_k};
  put(fields, sizeof fields);
  put(&header_.n_windows, 8);
  const auto label_size = static_cast<uint32_t>(header_.label.size());
  put(&label_size, 4);
  put(header_.label.data(), label_size);
  put(tokens.data(), tokens.size() * 4);
}

SavedLogitsWriter::~SavedLogitsWriter() = default;

void SavedLogitsWriter::put(const void* bytes, size_t n) {
  if (n && std::fwrite(bytes, 1, n, file_->stream()) != n) fail(path_, ": write failed: ", std::strerror(errno), " (disk full?)");
}

void SavedLogitsWriter::add(float target_log_prob, float rest_log_prob, const TopEntry* top) {
  put(&target_log_prob, 4);
  put(&rest_log_prob, 4);
  put(top, sizeof(TopEntry) * header_.top_k);
  ++records_;
}

void SavedLogitsWriter::finish() {
  if (records_ != header_.n_windows * header_.scored_per_window())
    fail(path_, ": ", records_, " records written, expected ", header_.n_windows * header_.scored_per_window());
  file_->rename_into_place();
}

static_assert(sizeof(TopEntry) == 8, "TopEntry is stored as it is in memory: u32 id, f32 log_prob");

SavedLogitsReader::SavedLogitsReader(const std::string& path) : path_(path) {
  in_ = std::fopen(path.c_str(), "rb");
  if (!in_) fail(path, ": cannot open the logits file: ", std::strerror(errno));
  char magic[8];
  get(magic, 8, "the header");
  if (std::memcmp(magic, kMagic, 8) != 0) fail(path, ": not a trit logits file (made by trit perplexity --save-logits)");
  uint32_t fields[4];
  get(fields, sizeof fields, "the header");
  if (fields[0] != kVersion) fail(path, ": logits file version ", fields[0], " (this trit reads version ", kVersion, ")");
  header_.n_vocab = fields[1];
  header_.context = fields[2];
  header_.top_k = fields[3];
  get(&header_.n_windows, 8, "the header");
  uint32_t label_size = 0;
  get(&label_size, 4, "the header");
  if (header_.n_vocab == 0 || header_.context < 4 || header_.context > (1u << 24) || header_.top_k == 0 ||
      header_.top_k > header_.n_vocab || header_.n_windows == 0 || header_.n_windows > (uint64_t{1} << 32) ||
      label_size > kMaxLabel)
    fail(path, ": corrupt logits file header (vocab ", header_.n_vocab, ", context ", header_.context, ", top-k ",
         header_.top_k, ", windows ", header_.n_windows, ")");
  header_.label.resize(label_size);
  get(header_.label.data(), label_size, "the header");
  const uint64_t n_tokens = header_.n_windows * header_.context;
  const uint64_t expected = 8 + 16 + 8 + 4 + label_size + 4 * n_tokens +
                            header_.n_windows * header_.scored_per_window() * header_.record_bytes();
  std::error_code ec;
  const uint64_t actual = std::filesystem::file_size(path, ec);
  if (ec || actual != expected)
    fail(path, ": logits file is ", actual, " bytes but its header implies ", expected, " (truncated or corrupt)");
  std::vector<uint32_t> raw(n_tokens);
  get(raw.data(), raw.size() * 4, "the tokens");
  tokens_.reserve(n_tokens);
  for (uint32_t t : raw) {
    if (t >= header_.n_vocab) fail(path, ": token id ", t, " is outside the vocabulary of ", header_.n_vocab);
    tokens_.push_back(static_cast<int32_t>(t));
  }
}

SavedLogitsReader::~SavedLogitsReader() {
  if (in_) std::fclose(in_);
}

void SavedLogitsReader::get(void* bytes, size_t n, const char* what) {
  if (n && std::fread(bytes, 1, n, in_) != n) fail(path_, ": logits file ends inside ", what);
}

void SavedLogitsReader::next(SavedRecord& r) {
  if (records_read_ >= header_.n_windows * header_.scored_per_window()) fail(path_, ": read past the last record");
  const uint64_t index = records_read_++;
  get(&r.target_log_prob, 4, "a record");
  get(&r.rest_log_prob, 4, "a record");
  r.top.resize(header_.top_k);
  get(r.top.data(), sizeof(TopEntry) * header_.top_k, "a record");
  auto bad = [&](const char* why) { fail(path_, ": record ", index, " is corrupt: ", why); };
  if (!std::isfinite(r.target_log_prob) || r.target_log_prob > kLogProbSlack) bad("bad log-probability of the next token");
  if (std::isnan(r.rest_log_prob) || r.rest_log_prob > kLogProbSlack) bad("bad log-probability of the rest");
  for (uint32_t i = 0; i < header_.top_k; ++i) {
    const TopEntry& e = r.top[i];
    if (e.id >= header_.n_vocab) bad("token id outside the vocabulary");
    if (!std::isfinite(e.log_prob) || e.log_prob > kLogProbSlack) bad("bad log-probability");
    if (i > 0 && e.log_prob > r.top[i - 1].log_prob) bad("top-k entries out of order");
  }
}

}  // namespace trit::engine
