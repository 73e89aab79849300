// `trit info MODEL [--json]`: what a GGUF holds. The container is validated in full first
// (gguf::File::open), so a broken file gives one error line and a non-zero exit; sections that
// need more than the container (the Qwen3 config, the tokenizer keys) report their own problem
// in place and the rest is still shown.
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/terminal_text.h"
#include "gguf/reader.h"
#include "kernels/kernel_set.h"
#include "model/kv_pool.h"
#include "model/config.h"
#include "model/hadamard.h"
#include "model/hybrid_memory.h"
#include "util/error.h"

namespace trit::cli {
namespace {

using nlohmann::json;

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// "4.02 B", "751.6 M", "12.3 K".
std::string human_count(uint64_t n) {
  if (n >= 1000000000ull) return format("%.2f B", n / 1e9);
  if (n >= 1000000ull) return format("%.1f M", n / 1e6);
  if (n >= 1000ull) return format("%.1f K", n / 1e3);
  return std::to_string(n);
}

// "1,069,531,616 bytes (1019.9 MiB, 1.00 GiB)".
std::string human_bytes(uint64_t n) {
  std::string s = with_commas(n) + " bytes (" + format("%.1f MiB", n / 1048576.0);
  if (n >= (1ull << 30)) s += ", " + format("%.2f GiB", n / 1073741824.0);
  return s + ")";
}

struct TypeRow {
  size_t tensors = 0;
  uint64_t elements = 0;
  uint64_t bytes = 0;
  double bpw = 0;
};

// Tokenizer facts straight from the tokenizer.* keys (no tokenizer layer needed to describe a file).
json tokenizer_summary(const gguf::File& f) {
  json t = json::object();
  if (!f.has("tokenizer.ggml.model")) return t;
  t["model"] = f.get_string("tokenizer.ggml.model");
  t["pre"] = f.get_string_or("tokenizer.ggml.pre", "");
  auto array_size = [&](const std::string& key) -> int64_t {
    const gguf::Value* v = f.find(key);
    if (!v) return -1;
    if (v->type() != gguf::ValueType::array) fail("metadata key '", key, "' has type ", gguf::describe_type(*v), ", expected an array");
    return static_cast<int64_t>(v->array().items.size());
  };
  std::vector<std::string> tokens;
  if (f.has("tokenizer.ggml.tokens")) tokens = f.get_string_array("tokenizer.ggml.tokens");
  t["vocab_size"] = tokens.size();
  t["merges"] = std::max<int64_t>(0, array_size("tokenizer.ggml.merges"));
  for (const char* name : {"bos", "eos", "padding", "unknown"}) {
    std::string key = std::string("tokenizer.ggml.") + name + "_token_id";
    if (!f.has(key)) continue;
    uint64_t id = f.get_uint(key);
    json s = {{"id", id}};
    if (id < tokens.size()) s["text"] = tokens[id];
    else s["text"] = nullptr;  // out of range: shown as such
    t["special"][name] = s;
  }
  if (f.has("tokenizer.ggml.add_bos_token")) t["add_bos"] = f.get_bool("tokenizer.ggml.add_bos_token");
  return t;
}

json build_summary(const gguf::File& f) {
  json j;
  j["path"] = f.path();
  j["file_bytes"] = f.file_size();
  j["gguf_version"] = f.version();
  j["alignment"] = f.alignment();
  j["metadata_keys"] = f.metadata().size();
  j["tensor_count"] = f.tensors().size();
  j["architecture"] = f.has("general.architecture") ? json(f.get_string("general.architecture")) : json(nullptr);
  j["name"] = f.has("general.name") ? json(f.get_string("general.name")) : json(nullptr);
  if (f.has("general.file_type")) j["file_type"] = f.get_uint("general.file_type");

  std::map<std::string, TypeRow> by_type;
  uint64_t params = 0, bytes = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    TypeRow& row = by_type[t.type->name];
    row.tensors++;
    row.elements += t.element_count();
    row.bytes += t.size;
    row.bpw = t.type->bits_per_weight();
    params += t.element_count();
    bytes += t.size;
  }
  j["parameters"] = params;
  j["tensor_bytes"] = bytes;
  j["bits_per_weight"] = params ? 8.0 * static_cast<double>(bytes) / static_cast<double>(params) : 0.0;
  json types = json::array();
  for (const auto& [name, row] : by_type)
    types.push_back({{"type", name}, {"tensors", row.tensors}, {"parameters", row.elements},
                     {"bytes", row.bytes}, {"bits_per_weight", row.bpw}});
  j["types"] = types;
  if (auto layout = f.q2_0_layout())
    j["q2_0_group"] = *layout == formats::Format::q2_0_g64 ? 64 : 128;
  else
    j["q2_0_group"] = nullptr;

  try {
    model::ModelConfig c = model::ModelConfig::from_gguf(f);
    j["model"] = {{"layers", c.n_layers}, {"hidden", c.n_embd}, {"ffn", c.n_ff},
                  {"heads", c.n_head}, {"kv_heads", c.n_head_kv}, {"head_dim", c.head_dim},
                  {"vocab", c.n_vocab}, {"context", c.n_ctx_train}, {"rope_base", c.rope_base},
                  {"rms_eps", c.rms_eps}, {"tied_embeddings", c.tied_embeddings}, {"rope_dims", c.rope_dims},
                  {"attention_layers", c.n_attention_layers()}, {"delta_net_layers", c.n_delta_net_layers()},
                  {"kv_bytes_per_position_f16", model::KvPagePool::page_bytes_for(c, kernels::KvTypes{}) / kernels::kKvPagePositions},
                  {"mtp_layers", c.n_mtp_layers}};
    if (c.n_delta_net_layers() > 0) {
      const model::DeltaNetConfig& d = c.delta_net;
      j["model"]["delta_net"] = {{"key_heads", d.n_k_heads}, {"value_heads", d.n_v_heads}, {"head_dim", d.head_dim},
                                 {"conv_kernel", d.conv_kernel}, {"full_attention_interval", c.full_attention_interval},
                                 {"state_bytes_per_sequence", model::DeltaNetState::bytes_for(c)}};
    }
    if (auto r = model::HadamardRotation::from_gguf(f)) {
      json widths = json::array();
      for (const auto& [width, signs] : r->signs) widths.push_back(width);
      j["model"]["hadamard"] = {{"block", r->block}, {"sign_mode", r->explicit_signs ? "explicit" : "identity"},
                                {"rotated_weights", r->rotated.size()}, {"latent_embedding", r->embedding_latent()},
                                {"widths", widths}, {"gdn_v_grouped", r->v_grouped}};
    }
  } catch (const Error& e) {
    j["model_error"] = e.what();
  }
  try {
    j["tokenizer"] = tokenizer_summary(f);
  } catch (const Error& e) {
    j["tokenizer_error"] = e.what();
  }
  const gguf::Value* tmpl = f.find("tokenizer.chat_template");
  j["chat_template"] = tmpl != nullptr && tmpl->type() == gguf::ValueType::string;
  if (j["chat_template"]) j["chat_template_chars"] = std::get<std::string>(tmpl->data).size();
  j["kernels"] = kernels::active_kernel_set().description;
  j["cpu"] = kernels::cpu_model();
  return j;
}

void print_text(const json& j) {
  // Every string here may come from the file: printed through terminal_safe.
  auto str = [](const json& v) { return v.is_null() ? std::string("(none)") : terminal_safe(v.get<std::string>()); };
  std::printf("file:          %s\n", str(j["path"]).c_str());
  std::printf("size:          %s\n", human_bytes(j["file_bytes"]).c_str());
  std::printf("gguf:          version %u, alignment %u, %zu metadata keys, %zu tensors\n",
              j["gguf_version"].get<unsigned>(), j["alignment"].get<unsigned>(), j["metadata_keys"].get<size_t>(),
              j["tensor_count"].get<size_t>());
  std::printf("architecture:  %s\n", str(j["architecture"]).c_str());
  std::printf("name:          %s\n", str(j["name"]).c_str());
  std::printf("parameters:    %s (%s)\n", human_count(j["parameters"]).c_str(), with_commas(j["parameters"]).c_str());
  std::printf("tensor data:   %s\n", human_bytes(j["tensor_bytes"]).c_str());
  std::printf("bits/weight:   %.3f (tensor bytes x 8 / parameters)\n", j["bits_per_weight"].get<double>());
  std::printf("tensors by type:\n");
  std::printf("  %-9s %8s %16s %16s %8s\n", "type", "tensors", "parameters", "bytes", "bpw");
  for (const json& t : j["types"])
    std::printf("  %-9s %8zu %16s %16s %8.3f\n", str(t["type"]).c_str(), t["tensors"].get<size_t>(),
                with_commas(t["parameters"]).c_str(), with_commas(t["bytes"]).c_str(),
                t["bits_per_weight"].get<double>());
  if (!j["q2_0_group"].is_null())
    std::printf("q2_0 group:    %d (%s-byte blocks, detected from tensor extents)\n", j["q2_0_group"].get<int>(),
                j["q2_0_group"].get<int>() == 64 ? "18" : "34");
  if (j.contains("model")) {
    const json& m = j["model"];
    std::printf("model:         %lld layers, hidden %lld, ffn %lld, %lld query heads, %lld kv heads, head dim %lld\n",
                m["layers"].get<long long>(), m["hidden"].get<long long>(), m["ffn"].get<long long>(),
                m["heads"].get<long long>(), m["kv_heads"].get<long long>(), m["head_dim"].get<long long>());
    std::printf("               vocab %lld, context %lld, rope base %g, rms eps %g, %s\n", m["vocab"].get<long long>(),
                m["context"].get<long long>(), m["rope_base"].get<double>(), m["rms_eps"].get<double>(),
                m["tied_embeddings"].get<bool>() ? "tied embeddings" : "separate output matrix");
    if (m.contains("delta_net")) {
      const json& d = m["delta_net"];
      std::printf("layers:        %lld Gated DeltaNet + %lld gated full attention (every %lld-th), RoPE on %lld of %lld dims\n",
                  m["delta_net_layers"].get<long long>(), m["attention_layers"].get<long long>(),
                  d["full_attention_interval"].get<long long>(), m["rope_dims"].get<long long>(),
                  m["head_dim"].get<long long>());
      std::printf("delta net:     %lld key heads, %lld value heads of %lld, conv kernel %lld\n",
                  d["key_heads"].get<long long>(), d["value_heads"].get<long long>(), d["head_dim"].get<long long>(),
                  d["conv_kernel"].get<long long>());
      std::printf("memory:        KV %s per position (f16), recurrent state %s per sequence\n",
                  human_bytes(m["kv_bytes_per_position_f16"]).c_str(),
                  human_bytes(d["state_bytes_per_sequence"]).c_str());
    } else {
      std::printf("memory:        KV %s per position (f16)\n", human_bytes(m["kv_bytes_per_position_f16"]).c_str());
    }
    if (m.contains("hadamard")) {
      const json& h = m["hadamard"];
      std::string widths;
      for (const json& w : h["widths"]) widths += (widths.empty() ? "" : ", ") + std::to_string(w.get<long long>());
      std::printf("hadamard:      Bonsai 2 rotation, block %lld, %s signs for widths %s: %zu weights read rotated "
                  "inputs%s%s\n",
                  h["block"].get<long long>(), str(h["sign_mode"]).c_str(), widths.c_str(),
                  h["rotated_weights"].get<size_t>(), h["latent_embedding"].get<bool>() ? ", latent embedding rows" : "",
                  h["gdn_v_grouped"].get<bool>() ? ", ssm_out in grouped value order" : "");
    }
    if (m["mtp_layers"].get<long long>() > 0)
      std::printf("mtp:           %lld multi-token-prediction block(s): drafts with --spec mtp\n",
                  m["mtp_layers"].get<long long>());
  } else {
    std::printf("model:         not usable: %s\n", str(j["model_error"]).c_str());
  }
  if (j.contains("tokenizer_error")) {
    std::printf("tokenizer:     not usable: %s\n", str(j["tokenizer_error"]).c_str());
  } else if (j["tokenizer"].empty()) {
    std::printf("tokenizer:     none\n");
  } else {
    const json& t = j["tokenizer"];
    std::printf("tokenizer:     %s (pre %s), %zu tokens, %lld merges\n", str(t["model"]).c_str(),
                str(t["pre"]).c_str(), t["vocab_size"].get<size_t>(), t["merges"].get<long long>());
    std::string specials;
    if (t.contains("special"))
      for (const auto& [name, s] : t["special"].items())
        specials += " " + name + " " + std::to_string(s["id"].get<uint64_t>()) +
                    (s["text"].is_null() ? " (out of range)" : " " + str(s["text"]));
    if (t.contains("add_bos")) specials += std::string(", add_bos ") + (t["add_bos"].get<bool>() ? "true" : "false");
    std::printf("special ids:  %s\n", specials.empty() ? " none" : specials.c_str());
  }
  if (j["chat_template"].get<bool>())
    std::printf("chat template: yes (%zu chars)\n", j["chat_template_chars"].get<size_t>());
  else
    std::printf("chat template: no\n");
  std::printf("kernels:       %s\n", str(j["kernels"]).c_str());
  std::printf("cpu:           %s\n", str(j["cpu"]).c_str());
}

CommandRun setup(CLI::App& sub) {
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  sub.add_option("model", *path, "GGUF model file")->required();
  sub.add_flag("--json", *as_json, "Print one JSON object instead of text");
  return [path, as_json]() {
    gguf::File file = gguf::File::open(*path);
    json j = build_summary(file);
    if (*as_json)
      std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
    else
      print_text(j);
    return 0;
  };
}

const CommandRegistration registration("info", "Describe a GGUF model: size, types, shapes, tokenizer", setup);

}  // namespace
}  // namespace trit::cli
