#include "hub/gguf_payload.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "util/error.h"

namespace trit::hub {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool looks_like_html(const std::string& head, const std::string& content_type) {
  if (lower(content_type).find("text/html") != std::string::npos) return true;
  std::string start = head;
  if (start.rfind("\xEF\xBB\xBF", 0) == 0) start.erase(0, 3);  // a UTF-8 byte order mark
  start.erase(0, std::min(start.size(), start.find_first_not_of(" \t\r\n")));
  start = lower(start.substr(0, 16));
  return start.rfind("<!doctype html", 0) == 0 || start.rfind("<html", 0) == 0;
}

// At most 48 bytes, non-printable ones as \xNN, so the message stays one short line.
std::string excerpt(const std::string& head) {
  std::string out;
  for (size_t i = 0; i < head.size() && i < 48; ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + (head.size() > 48 ? "..." : "");
}

}  // namespace

bool expects_gguf(const std::string& path) {
  return path.size() >= 5 && lower(path.substr(path.size() - 5)) == ".gguf";
}

bool could_start_gguf(const std::string& head) {
  const std::string magic = "GGUF";
  const size_t n = std::min(head.size(), magic.size());
  return head.compare(0, n, magic, 0, n) == 0;
}

std::string not_gguf_message(const std::string& url, const std::string& head, const std::string& content_type) {
  const std::string advice = " (check the repo and file name, and HF_TOKEN for a private repo); nothing was saved";
  if (looks_like_html(head, content_type))
    return cat("the hub answered ", url, " with an HTML page, not a GGUF file", advice);
  if (head.empty()) return cat("the hub answered ", url, " with an empty body, not a GGUF file", advice);
  return cat("the hub answered ", url, " with data that is not a GGUF file (it begins \"", excerpt(head),
             "\"", content_type.empty() ? std::string() : ", Content-Type " + excerpt(content_type), ")", advice);
}

}  // namespace trit::hub
