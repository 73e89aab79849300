// UTF-8 validation and repair. The tokenizer works on valid UTF-8 only (NFC and the regex need
// it): invalid input is repaired first by replacing each maximal ill-formed subpart with U+FFFD,
// the rule of the WHATWG Encoding standard (what TextDecoder and Python's errors="replace" do),
// so "a\xE2\x82b" becomes "a\uFFFDb" and "\xF0\x80" two U+FFFD.
#pragma once
#include <cstddef>
#include <cstdint>
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

// Appends the UTF-8 encoding of cp.
void append_utf8(std::string& out, uint32_t cp);
// Decodes one UTF-8 sequence at s[i]; returns its length (1..4) and sets cp, or 0 when the bytes
// at i do not start a well-formed sequence (overlong, surrogate, > U+10FFFF, truncated).
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp);

}  // namespace trit::tokenizer
