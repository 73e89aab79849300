#include "server/native_request.h"

#include <algorithm>

#include "engine/prompt.h"
#include "server/api_error.h"
#include "server/json_fields.h"
#include "server/request_fields.h"
#include "server/structured_output.h"

namespace trit::server {
namespace {

// A numeric knob of a sampler trit does not have: accepted at its neutral value only.
void require_neutral(const json& body, const char* key, double neutral, const char* what) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return;
  if (!it->is_number()) throw ApiError(400, std::string("'") + key + "' must be a number", key);
  if (it->get<double>() != neutral)
    throw ApiError(400, std::string("'") + key + "' (" + what + ") is not supported by this server", key);
}

// Fields that would change the output and that trit cannot honour: a 400 naming the field.
void refuse_unsupported(const json& body) {
  require_neutral(body, "mirostat", 0, "Mirostat sampling");
  require_neutral(body, "typical_p", 1, "locally typical sampling");
  require_neutral(body, "dynatemp_range", 0, "dynamic temperature");
  require_neutral(body, "xtc_probability", 0, "XTC sampling");
  require_neutral(body, "dry_multiplier", 0, "DRY repetition penalty");
  require_neutral(body, "n_cmpl", 1, "several completions per prompt");
  if (auto it = body.find("top_n_sigma"); it != body.end() && !it->is_null()) {
    if (!it->is_number()) throw ApiError(400, "'top_n_sigma' must be a number", "top_n_sigma");
    if (it->get<double>() > 0) throw ApiError(400, "'top_n_sigma' sampling is not supported by this server", "top_n_sigma");
  }
  for (const char* key : {"logit_bias", "lora", "multimodal_data"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null() || (it->is_array() && it->empty()) || (it->is_object() && it->empty()))
      continue;
    throw ApiError(400, std::string("'") + key + "' is not supported by this server", key);
  }
  if (get_bool(body, "post_sampling_probs").value_or(false))
    throw ApiError(400, "'post_sampling_probs' is not supported: n_probs gives log-probabilities before sampling",
                   "post_sampling_probs");
}

// llama-server's sampling conventions mapped onto the shared fields: seed -1 (or its unsigned
// spelling) draws a random seed, a negative temperature samples greedily, top_k <= 0 is off.
json normalized_sampling(const json& body) {
  json b = body;
  if (auto it = b.find("seed"); it != b.end() && it->is_number_integer()) {
    if (it->get<int64_t>() == -1 || (it->is_number_unsigned() && it->get<uint64_t>() == 0xFFFFFFFFull)) b.erase("seed");
  }
  if (auto it = b.find("temperature"); it != b.end() && it->is_number() && it->get<double>() < 0) *it = 0.0;
  if (auto it = b.find("top_k"); it != b.end() && it->is_number_integer() && it->get<int64_t>() < 0) *it = 0;
  return b;
}

// llama-server's "samplers": the chain holds only the samplers listed (names, or one letter each
// in a string: "kpmt"), and ends by drawing from what is left at temperature 1. trit's order is
// fixed (penalties, top_k, top_p, min_p, temperature; filters on temperature-1 probabilities as
// in llama-server's default order), so the list decides which of them run: one left out is off
// (temperature: 1). Samplers trit lacks are refused by their parameters above when set; "infill"
// (llama.vim lists it) is accepted without being applied.
void apply_sampler_list(const json& body, engine::SamplingParams& p) {
  auto it = body.find("samplers");
  if (it == body.end() || it->is_null()) return;
  static const std::pair<const char*, char> kNames[] = {
      {"penalties", 'e'},   {"dry", 'd'},     {"top_k", 'k'},   {"top-k", 'k'},  {"typ_p", 'y'},
      {"typical_p", 'y'},   {"typical", 'y'}, {"top_p", 'p'},   {"top-p", 'p'},  {"nucleus", 'p'},
      {"min_p", 'm'},       {"min-p", 'm'},   {"xtc", 'x'},     {"temperature", 't'}, {"temp", 't'},
      {"infill", 'i'},      {"top_n_sigma", 's'},
  };
  auto letter = [](const std::string& name) {
    for (const auto& [n, c] : kNames)
      if (name == n) return c;
    throw ApiError(400, "'samplers' names an unknown sampler '" + name + "'", "samplers");
  };
  std::string on;
  if (it->is_string()) {
    for (char c : it->get<std::string>()) {
      if (std::string("edkypmxtis").find(c) == std::string::npos)
        throw ApiError(400, std::string("'samplers' has an unknown sampler letter '") + c + "'", "samplers");
      on += c;
    }
  } else if (it->is_array()) {
    for (const json& n : *it) {
      if (!n.is_string()) throw ApiError(400, "'samplers' must be an array of sampler names", "samplers");
      on += letter(n.get<std::string>());
    }
  } else {
    throw ApiError(400, "'samplers' must be an array of sampler names or a string of their letters", "samplers");
  }
  auto has = [&](char c) { return on.find(c) != std::string::npos; };
  if (!has('e')) {
    p.repeat_penalty = 1.0f;
    p.presence_penalty = 0.0f;
    p.frequency_penalty = 0.0f;
  }
  if (!has('k')) p.top_k = 0;
  if (!has('p')) p.top_p = 1.0f;
  if (!has('m')) p.min_p = 0.0f;
  if (!has('t')) p.temperature = 1.0f;
}

std::vector<int32_t> text_tokens(const tokenizer::Tokenizer& tok, const std::string& text, bool first) {
  // llama-server parses control tokens in /completion prompts: a prompt made by /apply-template
  // (<|im_start|>...) must reach the model as the template meant it.
  return first ? engine::encode_prompt(tok, text, true) : tok.encode(text, true);
}

// A prompt: a string, token ids, or ids and strings mixed ([12, " text", 34]); a one-element
// array holding one of those is the same. Several prompts ([["a"], "b"], ["a", "b"]) are a 400.
std::vector<int32_t> prompt_tokens(const json& p, const tokenizer::Tokenizer& tok) {
  if (p.is_string()) return text_tokens(tok, p.get<std::string>(), true);
  if (!p.is_array()) throw ApiError(400, "'prompt' must be a string, an array of token ids, or both mixed", "prompt");
  if (p.size() == 1 && (p[0].is_string() || p[0].is_array())) return prompt_tokens(p[0], tok);
  const bool any_number = std::any_of(p.begin(), p.end(), [](const json& e) { return e.is_number(); });
  if (!any_number && !p.empty())
    throw ApiError(400, "'prompt' holds several prompts: send one prompt per request", "prompt");
  std::vector<int32_t> out;
  const auto vocab = static_cast<int64_t>(tok.vocab_size());
  for (size_t i = 0; i < p.size(); ++i) {
    const json& e = p[i];
    if (e.is_string()) {
      std::vector<int32_t> ids = text_tokens(tok, e.get<std::string>(), i == 0);
      out.insert(out.end(), ids.begin(), ids.end());
    } else if (e.is_number_integer()) {
      const int64_t id = e.get<int64_t>();
      if (id < 0 || id >= vocab)
        throw ApiError(400, "token id " + std::to_string(id) + " in 'prompt' is outside the vocabulary", "prompt");
      out.push_back(static_cast<int32_t>(id));
    } else {
      throw ApiError(400, "'prompt' arrays hold token ids and strings only", "prompt");
    }
  }
  return out;
}

void check_length(const GenerationRequest& g, const RequestContext& ctx, const char* field) {
  const auto n = static_cast<int64_t>(g.scheduled.prompt.size());
  if (n == 0) throw ApiError(400, "the prompt is empty", field);
  if (n >= ctx.context)
    throw ApiError(400, "the prompt is " + std::to_string(n) + " tokens but the context holds " +
                            std::to_string(ctx.context) + " (shorten it, or start the server with a larger -c)",
                   field);
}

// Everything but the prompt: shared fields, llama-server's names, the output options.
NativeRequest parse_options(const json& raw, const RequestContext& ctx) {
  refuse_unsupported(raw);
  const json body = normalized_sampling(raw);
  NativeRequest r;
  GenerationRequest& g = r.generation;
  parse_common(body, ctx, g);
  if (auto v = get_integer(body, "repeat_last_n", -1, 1 << 30)) g.scheduled.options.sampling.repeat_last_n = int(*v);
  // n_predict wins over max_tokens, as in llama-server; -1 runs to an end token or the context's
  // end, 0 only evaluates the prompt (editors warm the cache with it).
  if (auto v = get_integer(body, "n_predict", INT64_MIN, 1 << 30)) {
    if (*v < -1) throw ApiError(400, "'n_predict' must be -1 (no limit) or at least 0", "n_predict");
    g.scheduled.options.max_tokens = *v;
  }
  if (auto v = get_integer(body, "n_probs", INT64_MIN, INT64_MAX)) {
    if (*v < 0 || *v > 20) throw ApiError(400, "'n_probs' must be between 0 and 20", "n_probs");
    r.n_probs = static_cast<int>(*v);
  }
  r.return_tokens = get_bool(body, "return_tokens").value_or(false);
  // Prefix reuse is always on (each slot keeps its cache and a request takes the slot sharing the
  // longest prefix), so cache_prompt is checked and accepted either way.
  (void)get_bool(body, "cache_prompt");
  // A slot is chosen by its cached prefix; a requested one only matters for speed, not output.
  (void)get_integer(body, "id_slot", -1, INT32_MAX);
  // Code editors' limits (engine/editor_limits.h).
  if (auto v = get_integer(body, "n_indent", INT64_MIN, 1 << 20)) {
    if (*v < 0) throw ApiError(400, "'n_indent' must not be negative", "n_indent");
    g.scheduled.options.min_indent = static_cast<int>(*v);
  }
  if (auto v = get_number(body, "t_max_predict_ms", -1e300, 1e300))
    g.scheduled.options.max_decode_seconds = *v > 0 ? *v / 1e3 : 0.0;
  // Without a context shift (a request's prompt and answer must fit in -c) these change nothing.
  for (const char* key : {"n_keep", "n_discard"}) (void)get_integer(body, key, -1, INT64_MAX);
  // Checked for type only: parameters of samplers that are off unless their switch above is set,
  // and t_max_prompt_ms (a time budget for reading the prompt: trit always reads all of it).
  for (const char* key : {"t_max_prompt_ms", "xtc_threshold", "mirostat_tau", "mirostat_eta", "dynatemp_exponent",
                          "dry_base", "dry_allowed_length", "dry_penalty_last_n"})
    (void)get_number(body, key, -1e300, 1e300);
  for (const char* key : {"timings_per_token", "return_progress", "stream_timings"}) (void)get_bool(body, key);
  apply_sampler_list(body, g.scheduled.options.sampling);
  // Raw text, no chat template: nothing to think before the grammar starts.
  parse_grammar_fields(body, false, g.scheduled.options);
  warm_token_trie(g.scheduled.options, *ctx.tokenizer);
  if (const json* fields = get_array(body, "response_fields")) {
    for (const json& f : *fields) {
      if (!f.is_string()) throw ApiError(400, "'response_fields' must be an array of strings", "response_fields");
      r.response_fields.push_back(f.get<std::string>());
    }
  }
  // Streams carry the token ids (llama-server's "tokens"), so ask for them whenever they show;
  // log-probabilities only with n_probs.
  g.scheduled.logprobs = r.n_probs > 0 ? r.n_probs : -1;
  g.scheduled.token_ids = r.return_tokens || g.stream;
  return r;
}

std::string string_field(const json& body, const char* key) { return get_string(body, key).value_or(""); }

}  // namespace

NativeRequest parse_native_completion(const json& body, const RequestContext& ctx) {
  auto prompt = body.find("prompt");
  if (prompt == body.end() || prompt->is_null()) throw ApiError(400, "'prompt' is required", "prompt");
  NativeRequest r = parse_options(body, ctx);
  r.generation.scheduled.prompt = prompt_tokens(*prompt, *ctx.tokenizer);
  check_length(r.generation, ctx, "prompt");
  return r;
}

NativeRequest parse_native_infill(const json& body, const RequestContext& ctx) {
  NativeRequest r = parse_options(body, ctx);
  InfillInput in;
  in.prefix = string_field(body, "input_prefix");
  in.suffix = string_field(body, "input_suffix");
  if (auto p = body.find("prompt"); p != body.end() && !p->is_null()) {
    if (!p->is_string()) throw ApiError(400, "'prompt' (text after <|fim_middle|>) must be a string", "prompt");
    in.prompt = p->get<std::string>();
  }
  if (const json* extra = get_array(body, "input_extra")) {
    for (size_t i = 0; i < extra->size(); ++i) {
      const json& c = (*extra)[i];
      const std::string where = "input_extra[" + std::to_string(i) + "]";
      if (!c.is_object()) throw ApiError(400, where + " must be an object {filename, text}", "input_extra");
      auto text = c.find("text");
      if (text == c.end() || !text->is_string()) throw ApiError(400, where + ".text must be a string", "input_extra");
      auto name = c.find("filename");
      if (name != c.end() && !name->is_null() && !name->is_string())
        throw ApiError(400, where + ".filename must be a string", "input_extra");
      in.extra.push_back({name != c.end() && name->is_string() ? name->get<std::string>() : "", text->get<std::string>()});
    }
  }
  // Room for the answer: what n_predict asks, else a quarter of the context.
  const int64_t n_predict = r.generation.scheduled.options.max_tokens;
  const int64_t reserve = n_predict >= 0 ? n_predict : ctx.context / 4;
  const int64_t budget = std::max<int64_t>(ctx.context - 1 - reserve, std::min<int64_t>(ctx.context - 1, 16));
  r.generation.scheduled.prompt = infill_prompt(*ctx.tokenizer, in, budget);
  check_length(r.generation, ctx, "input_prefix");
  return r;
}

std::vector<int32_t> infill_prompt(const tokenizer::Tokenizer& tok, const InfillInput& in, int64_t max_tokens) {
  const auto pre = tok.find_token("<|fim_prefix|>"), suf = tok.find_token("<|fim_suffix|>"),
             mid = tok.find_token("<|fim_middle|>");
  if (!pre || !suf || !mid)
    throw ApiError(400,
                   "this model's vocabulary has no fill-in-the-middle tokens (<|fim_prefix|>, <|fim_suffix|>, "
                   "<|fim_middle|>): /infill needs a model trained for it; use /completion instead",
                   "input_prefix");
  const auto repo = tok.find_token("<|repo_name|>"), sep = tok.find_token("<|file_sep|>");
  auto text = [&](const std::string& s) { return tok.encode(s, false); };

  std::vector<int32_t> extra;
  if (repo && sep) {
    extra.push_back(*repo);
    for (int32_t t : text("myproject\n")) extra.push_back(t);
  }
  for (const InfillInput::Chunk& c : in.extra) {
    if (sep) {
      extra.push_back(*sep);
      for (int32_t t : text(c.filename + "\n")) extra.push_back(t);
    }
    for (int32_t t : text(c.text)) extra.push_back(t);
  }
  if (sep) {
    extra.push_back(*sep);
    for (int32_t t : text("filename\n")) extra.push_back(t);
  }
  std::vector<int32_t> prefix = text(in.prefix), suffix = text(in.suffix), middle = text(in.prompt);

  // Fit: drop extra context from its start, then the prefix from its start (the lines nearest the
  // cursor stay), then the suffix from its end.
  const bool bos = tok.add_bos();
  auto total = [&] {
    return int64_t(extra.size() + prefix.size() + suffix.size() + middle.size() + 3 + (bos ? 1 : 0));
  };
  auto trim_front = [&](std::vector<int32_t>& v) {
    const int64_t cut = std::min<int64_t>(int64_t(v.size()), total() - max_tokens);
    if (cut > 0) v.erase(v.begin(), v.begin() + cut);
  };
  if (total() > max_tokens) trim_front(extra);
  if (total() > max_tokens) trim_front(prefix);
  if (total() > max_tokens) {
    const int64_t cut = std::min<int64_t>(int64_t(suffix.size()), total() - max_tokens);
    suffix.resize(suffix.size() - size_t(cut));
  }

  std::vector<int32_t> out;
  if (bos) out.push_back(tok.bos_id());
  out.insert(out.end(), extra.begin(), extra.end());
  out.push_back(*pre);
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.push_back(*suf);
  out.insert(out.end(), suffix.begin(), suffix.end());
  out.push_back(*mid);
  out.insert(out.end(), middle.begin(), middle.end());
  return out;
}

}  // namespace trit::server
