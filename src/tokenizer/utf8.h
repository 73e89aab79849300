// UTF-8 validation and repair. The tokenizer works on valid UTF-8 only (NFC and the regex need
// it): invalid input is repaired first by replacing each maximal ill-formed subpart with U+FFFD,
// the rule of the WHATWG Encoding standard (what TextDecoder and Python's errors="replace" do),
// so "a\xE2\x82b" becomes "a\uFFFDb" and "\xF0\x80" two U+FFFD.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace trit::tokenizer {

// Length of the longest prefix of s that ends on a complete, well-formed character boundary,
// if s[0..n) is well-formed except possibly for an incomplete (but so far valid) last sequence.
// Used by the streaming decoder to hold back half a character.
size_t complete_utf8_prefix(std::string_view s);

bool is_valid_utf8(std::string_view s);
// Copy of s with every maximal ill-formed subpart replaced by U+FFFD.
std::string repair_utf8(std::string_view s);
// Unicode NFC (utf8proc) of valid UTF-8 s, appended to out. The tokenizer normalises text with
// it, so decode(encode(s)) == NFC(s): equal to s exactly when s is already NFC.
void append_nfc(std::string_view s, std::string& out);
std::string to_nfc(std::string_view s);

}  // namespace trit::tokenizer
