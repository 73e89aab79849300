#include "tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "util/error.h"

namespace trit::tokenizer {

struct PreTokenizer::Impl {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

// Match data is per thread: a PreTokenizer is shared by every session of a server.
namespace {
struct MatchData {
  pcre2_match_data* data = nullptr;
  const pcre2_code* owner = nullptr;
  ~MatchData() {
    if (data) pcre2_match_data_free(data);
  }
};
thread_local MatchData tls_match;
}  // namespace

PreTokenizer::PreTokenizer(const std::string& pattern) : impl_(std::make_unique<Impl>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    fail("pre-tokenizer regex does not compile at offset ", offset, ": ", reinterpret_cast<char*>(message));
  }
  impl_->jit = pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE) == 0;
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

void PreTokenizer::split_into(std::string_view text, std::vector<std::string_view>& pieces) const {
  MatchData& md = tls_match;
  if (md.owner != impl_->code) {
    if (md.data) pcre2_match_data_free(md.data);
    md.data = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
    md.owner = impl_->code;
  }
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0, emitted = 0;
  while (start < text.size()) {
    // The text was validated (and repaired) before: skip PCRE2's own UTF check.
    int rc = impl_->jit ? pcre2_jit_match(impl_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                                          md.data, nullptr)
                        : pcre2_match(impl_->code, subject, text.size(), start, PCRE2_NO_UTF_CHECK,
                                      md.data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) fail("pre-tokenizer regex failed with PCRE2 error ", rc);
    PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(md.data);
    size_t begin = ovector[0], end = ovector[1];
    if (begin > emitted) {
      pieces.push_back(text.substr(emitted, begin - emitted));
      emitted = begin;
    }
    if (end > begin) {
      pieces.push_back(text.substr(begin, end - begin));
      emitted = end;
      start = end;
    } else {
      // An empty match cannot happen with these patterns; step one character to stay safe.
      ++start;
      while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
    }
  }
  if (emitted < text.size()) pieces.push_back(text.substr(emitted));
}

}  // namespace trit::tokenizer
