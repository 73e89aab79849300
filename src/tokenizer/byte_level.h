// The GPT-2 byte-to-unicode alphabet: byte-level BPE vocabularies spell every byte as one
// printable code point so that tokens are readable strings. Bytes 33..126, 161..172 and 174..255
// map to themselves; the other 68 bytes (controls, space, 127..160, 173) map, in byte order, to
// U+0100.. (so space is U+0120 'Ġ' and newline U+010A 'Ċ').
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace trit::tokenizer {

// Code point that spells byte b.
uint32_t byte_to_codepoint(uint8_t b);
// Inverse of byte_to_codepoint; -1 for a code point outside the alphabet.
int byte_from_codepoint(uint32_t cp);
// UTF-8 of the code point spelling b ("Ġ" for ' ').
const std::string& byte_to_piece(uint8_t b);

// Raw bytes -> byte-level spelling.
std::string bytes_to_piece(std::string_view bytes);
// Byte-level spelling -> raw bytes. Returns false (and leaves out) when a code point is outside
// the alphabet or the UTF-8 is malformed.
bool piece_to_bytes(std::string_view piece, std::string& out);


}  // namespace trit::tokenizer
