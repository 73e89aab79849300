// What a .gguf download must start with, and what to tell the user when it does not.
//
// A hub, proxy or captive portal that answers a file URL with a web page (a login form, an error
// page, a 200 with "repository not found") would otherwise be renamed into the cache as the
// model, and every later run would fail "bad magic" without downloading again. The first bytes
// decide: a GGUF file starts with "GGUF".
#pragma once
#include <string>

namespace trit::hub {

inline constexpr size_t kGgufMagicSize = 4;

// Whether `path` names a GGUF file (".gguf", any case), whose download must pass the check.
bool expects_gguf(const std::string& path);

// Whether `head` (the first bytes of a body, possibly fewer than 4) can begin a GGUF file.
bool could_start_gguf(const std::string& head);

// The error for a body that is not a GGUF file: an HTML page (by Content-Type or by its first
// tag) or, otherwise, a short printable excerpt of what came back.
std::string not_gguf_message(const std::string& url, const std::string& head,
                             const std::string& content_type);

}  // namespace trit::hub
