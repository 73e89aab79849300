// libFuzzer target: any byte string must encode without crashing (invalid UTF-8 is repaired),
// decode back to NFC of the repaired input, stream-decode to valid UTF-8, and parse as model
// output. Uses the built-in byte vocab so no file is needed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tokenizer/chat.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

const trit::tokenizer::Tokenizer& tokenizer() {
  static const trit::tokenizer::Tokenizer tok(trit::tokenizer::make_byte_vocab());
  return tok;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trit::tokenizer;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const Tokenizer& tok = tokenizer();
  const bool parse_special = size > 0 && (data[0] & 1);
  auto ids = tok.encode(input, parse_special);
  const std::string expected = to_nfc(repair_utf8(input));
  check(tok.decode(ids) == expected);

  StreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : ids) {
    std::string piece = stream.push(id);
    check(is_valid_utf8(piece));
    streamed += piece;
  }
  streamed += stream.flush();
  check(streamed == expected);

  ChatOutputParser parser;
  for (size_t i = 0; i < expected.size(); i += 5) parser.feed(std::string_view(expected).substr(i, 5));
  parser.finish();
  auto whole = parse_assistant_output(expected);
  check(whole.content == parser.output().content && whole.reasoning == parser.output().reasoning &&
        whole.tool_calls.size() == parser.output().tool_calls.size());
  return 0;
}
