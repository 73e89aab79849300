// import_hf_tokenizer: Hugging Face tokenizer.json (+ tokenizer_config.json) -> VocabData, the
// same conversion llama.cpp's convert_hf_to_gguf.py makes for a Qwen2/Qwen3 tokenizer.
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "tokenizer/pretokenizer_patterns.h"
#include "tokenizer/vocab.h"
#include "util/error.h"

namespace trit::tokenizer {
namespace {

using nlohmann::json;

// `source` is JSON text (starts with '{' after whitespace) or the path of a JSON file.
json parse_json(const std::string& source, const char* what) {
  size_t first = source.find_first_not_of(" \t\r\n");
  std::string text;
  if (first != std::string::npos && source[first] == '{') {
    text = source;
  } else {
    std::ifstream in(source, std::ios::binary);
    if (!in) fail("cannot read ", what, " '", source, "'");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail(what, " is not valid JSON: ", e.what());
  }
}

// The regex of the first Split pre-tokenizer, searching inside a Sequence; empty when none.
std::string split_regex(const json& pre) {
  if (!pre.is_object()) return "";
  if (pre.value("type", "") == "Split" && pre.contains("pattern") && pre["pattern"].contains("Regex"))
    return pre["pattern"]["Regex"].get<std::string>();
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers"))
    for (const auto& p : pre["pretokenizers"]) {
      std::string r = split_regex(p);
      if (!r.empty()) return r;
    }
  return "";
}

bool has_byte_level(const json& pre) {
  if (!pre.is_object()) return false;
  if (pre.value("type", "") == "ByteLevel") return true;
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers"))
    for (const auto& p : pre["pretokenizers"])
      if (has_byte_level(p)) return true;
  return false;
}

// A token in tokenizer_config.json is a string, an AddedToken object {"content": ...} or null.
std::string config_token(const json& config, const char* key) {
  if (!config.contains(key)) return "";
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content")) return v["content"].get<std::string>();
  return "";
}

}  // namespace

VocabData import_hf_tokenizer(const std::string& tokenizer_json,
                              const std::string& tokenizer_config_json, int64_t pad_to) {
  json tok = parse_json(tokenizer_json, "tokenizer.json");
  json config = tokenizer_config_json.empty() ? json::object()
                                              : parse_json(tokenizer_config_json, "tokenizer_config.json");
  try {
    const json& model = tok.at("model");
    if (model.value("type", "BPE") != "BPE")
      fail("tokenizer.json: model type '", model.value("type", ""), "' is not supported (only BPE)");
    if (!has_byte_level(tok.value("pre_tokenizer", json())))
      fail("tokenizer.json: not a byte-level BPE (no ByteLevel pre-tokenizer)");

    VocabData vocab;
    vocab.model = "gpt2";
    std::string regex = split_regex(tok["pre_tokenizer"]);
    const PreTokenizerPattern* pattern = find_pretokenizer_by_hf_regex(regex);
    if (!pattern)
      fail("tokenizer.json: pre-tokenizer regex is not one trit knows (supported: ",
           supported_pretokenizers(), "): ", regex.empty() ? "<none>" : regex);
    vocab.pre = pattern->name;

    // Ids: the BPE vocab plus added tokens, which must leave no holes.
    std::vector<std::pair<int64_t, std::string>> entries;
    for (const auto& [text, id] : model.at("vocab").items()) entries.push_back({id.get<int64_t>(), text});
    std::vector<std::pair<int64_t, bool>> added;  // id, special
    for (const auto& a : tok.value("added_tokens", json::array())) {
      entries.push_back({a.at("id").get<int64_t>(), a.at("content").get<std::string>()});
      added.push_back({a.at("id").get<int64_t>(), a.value("special", false)});
    }
    int64_t size = 0;
    for (const auto& [id, text] : entries) {
      if (id < 0 || id > (int64_t(1) << 31) - 2) fail("tokenizer.json: token id ", id, " out of range");
      size = std::max(size, id + 1);
    }
    vocab.tokens.assign(size_t(size), std::string());
    std::vector<bool> filled(size_t(size), false);
    for (const auto& [id, text] : entries) {
      vocab.tokens[id] = text;
      filled[id] = true;
    }
    for (int64_t id = 0; id < size; ++id)
      if (!filled[id]) fail("tokenizer.json: no token has id ", id, " (ids must be contiguous)");
    vocab.token_types.assign(size_t(size), kTokenNormal);
    for (const auto& [id, special] : added) vocab.token_types[id] = special ? kTokenControl : kTokenUserDefined;

    for (const auto& m : model.at("merges")) {
      if (m.is_string()) {
        vocab.merges.push_back(m.get<std::string>());
      } else if (m.is_array() && m.size() == 2) {
        vocab.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
      } else {
        fail("tokenizer.json: a merge is neither \"a b\" nor [a, b]: ", m.dump());
      }
    }

    auto id_of = [&](const std::string& text) -> int32_t {
      if (text.empty()) return -1;
      for (size_t id = 0; id < vocab.tokens.size(); ++id)
        if (vocab.tokens[id] == text) return int32_t(id);
      fail("tokenizer_config.json names token '", text, "', which is not in the vocab");
    };
    auto has_token = [&](const std::string& text) {
      for (const auto& t : vocab.tokens)
        if (t == text) return true;
      return false;
    };
    std::string eos = config_token(config, "eos_token");
    if (eos.empty() && has_token("<|endoftext|>")) eos = "<|endoftext|>";
    std::string bos = config_token(config, "bos_token");
    if (bos.empty() && has_token("<|endoftext|>")) bos = "<|endoftext|>";  // Qwen convention
    vocab.eos_id = id_of(eos);
    vocab.bos_id = id_of(bos);
    vocab.pad_id = id_of(config_token(config, "pad_token"));
    vocab.add_bos = config.value("add_bos_token", false);

    if (config.contains("chat_template")) {
      const json& t = config["chat_template"];
      if (t.is_string()) {
        vocab.chat_template = t.get<std::string>();
      } else if (t.is_array()) {  // named templates: use "default"
        for (const auto& named : t)
          if (named.value("name", "") == "default") vocab.chat_template = named.value("template", "");
      }
    }

    if (pad_to > 0) {
      if (pad_to < size) fail("cannot pad a vocab of ", size, " tokens to ", pad_to);
      for (int64_t id = size; id < pad_to; ++id) {
        vocab.tokens.push_back("[PAD" + std::to_string(id) + "]");
        vocab.token_types.push_back(kTokenUnused);
      }
    }
    return vocab;
  } catch (const json::exception& e) {
    fail("tokenizer.json has an unexpected layout: ", e.what());
  }
}

}  // namespace trit::tokenizer
