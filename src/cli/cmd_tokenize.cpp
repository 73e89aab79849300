// `trit tokenize -m MODEL [--ids] [--show] [--no-parse-special] (TEXT | -f FILE)`: the token ids
// of a text as a JSON array. Only the GGUF metadata is read (the tokenizer keys), not the weights.
//   default / --ids      [9707, 1879]
//   --show               [{"id": 9707, "token": "Hello", "text": "Hello"}, ...]; "token" is the
//                        vocab spelling (byte-level alphabet), "text" the bytes it decodes to
//                        (U+FFFD where a token holds only part of a UTF-8 character)
// Special tokens written in the text (<|im_start|>) are parsed unless --no-parse-special.
// -f reads the file byte for byte ("-" = stdin), a final newline included.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/model_ref.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

namespace trit::cli {
namespace {

struct TokenizeOptions {
  ModelRefOptions model;
  std::string text;
  std::string file;
  bool ids_only = false;
  bool show = false;
  bool no_parse_special = false;
};

std::string read_input(const TokenizeOptions& o) {
  if (o.file.empty()) return o.text;
  if (o.file == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(o.file, std::ios::binary);
  if (!in) fail("cannot read '", o.file, "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int run_tokenize(const TokenizeOptions& o) {
  if (!o.file.empty() && !o.text.empty()) fail("give either TEXT or -f FILE, not both");
  std::string text = read_input(o);
  gguf::File file = gguf::File::open(o.model.resolve(ModelRefOptions::WhenNone::refuse));
  tokenizer::Tokenizer tok = tokenizer::Tokenizer::from_gguf(file);
  std::vector<int32_t> ids = tok.encode(text, !o.no_parse_special);

  // One token per line with --show; a plain "[1, 2, 3]" list otherwise.
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids[i];
    if (o.show && !o.ids_only) {
      nlohmann::ordered_json entry = {{"id", id},
                                      {"token", tokenizer::repair_utf8(tok.token_text(id))},
                                      {"text", tokenizer::repair_utf8(tok.token_bytes(id))}};
      s += (i ? ",\n " : "\n ") + entry.dump();
      if (i + 1 == ids.size()) s += "\n";
    } else {
      s += (i ? ", " : "") + std::to_string(id);
    }
  }
  s += "]";
  std::printf("%s\n", s.c_str());
  return 0;
}

const CommandRegistration registration{
    "tokenize", "Print the token ids of a text (JSON array)", [](CLI::App& sub) -> CommandRun {
      auto o = std::make_shared<TokenizeOptions>();
      o->model.add_to(sub);
      sub.add_option("text", o->text, "Text to tokenize");
      sub.add_option("-f,--file", o->file, "Read the text from a file ('-' for stdin)");
      sub.add_flag("--ids", o->ids_only, "Print only the ids (the default output)");
      sub.add_flag("--show", o->show, "Print each token's id, vocab spelling and text");
      sub.add_flag("--no-parse-special", o->no_parse_special,
                   "Treat control tokens written in the text (<|im_start|>, ...) as plain text");
      return [o] { return run_tokenize(*o); };
    }};

}  // namespace
}  // namespace trit::cli
