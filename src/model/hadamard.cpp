#include "model/hadamard.h"

#include "gguf/reader.h"
#include "util/error.h"

namespace trit::model {
namespace {

constexpr const char* kPrefix = "prism.hadamard.";

std::string key(const char* name) { return std::string(kPrefix) + name; }

std::string required_string(const gguf::File& f, const char* name) {
  if (!f.has(key(name))) fail(f.path(), ": metadata key ", key(name), " is missing (the file has other ", kPrefix, "keys)");
  return f.get_string(key(name));
}

void expect(const gguf::File& f, const char* name, const std::string& value, const std::string& want) {
  if (value != want)
    fail(f.path(), ": ", key(name), " = '", value, "' is not supported (trit applies '", want, "'); it cannot run this file");
}

}  // namespace

std::optional<HadamardRotation> HadamardRotation::from_gguf(const gguf::File& f) {
  bool any = false;
  for (const auto& [k, value] : f.metadata()) any |= k.rfind(kPrefix, 0) == 0;
  if (!any) return std::nullopt;
  static const std::set<std::string> known = {"version",      "block_size",   "transform",   "axis",
                                              "sign_mode",    "sign_widths",  "sign_values", "weight_names",
                                              "inverse_weight_names", "gdn_v_grouped"};
  for (const auto& [k, value] : f.metadata())
    if (k.rfind(kPrefix, 0) == 0 && !known.count(k.substr(std::string(kPrefix).size())))
      fail(f.path(), ": metadata key ", k, " is not part of the Hadamard contract trit knows (version 1); it cannot "
           "tell how to run this file");

  HadamardRotation r;
  if (!f.has(key("version"))) fail(f.path(), ": metadata key ", key("version"), " is missing");
  const int64_t version = f.get_int(key("version"));
  if (version != 1) fail(f.path(), ": ", key("version"), " = ", version, " is not supported (trit knows version 1)");
  expect(f, "transform", required_string(f, "transform"), "normalized-sylvester-walsh-hadamard");
  expect(f, "axis", required_string(f, "axis"), "input-last-dimension");
  if (!f.has(key("block_size"))) fail(f.path(), ": metadata key ", key("block_size"), " is missing");
  r.block = f.get_int(key("block_size"));
  if (r.block < 2 || r.block > (int64_t{1} << 16) || (r.block & (r.block - 1)) != 0)
    fail(f.path(), ": ", key("block_size"), " = ", r.block, " is not a power of two from 2 to 65536");
  const std::string mode = required_string(f, "sign_mode");
  if (mode != "explicit" && mode != "identity")
    fail(f.path(), ": ", key("sign_mode"), " = '", mode, "' is not supported (trit applies 'explicit' and 'identity')");
  r.explicit_signs = mode == "explicit";
  r.v_grouped = f.get_bool_or(key("gdn_v_grouped"), false);

  if (!f.has(key("weight_names"))) fail(f.path(), ": metadata key ", key("weight_names"), " is missing");
  std::vector<int64_t> widths;  // of the listed weights, to check the signs against
  for (const std::string& name : f.get_string_array(key("weight_names"))) {
    const gguf::TensorInfo* t = f.find_tensor(name);
    if (!t) fail(f.path(), ": ", key("weight_names"), " lists '", name, "', which is not a tensor of this file");
    if (t->dims.size() != 2)
      fail(f.path(), ": ", key("weight_names"), " lists '", name, "', which is not a matrix (shape ", t->shape_string(), ")");
    if (name == "token_embd.weight")
      fail(f.path(), ": ", key("weight_names"), " lists token_embd.weight, a lookup table: trit reads rotated embedding "
           "rows only through ", key("inverse_weight_names"));
    r.rotated.insert(name);
    widths.push_back(static_cast<int64_t>(t->dims[0]));
  }
  if (f.has(key("inverse_weight_names")))
    for (const std::string& name : f.get_string_array(key("inverse_weight_names"))) {
      if (name != "token_embd.weight")
        fail(f.path(), ": ", key("inverse_weight_names"), " lists '", name,
             "'; trit reads latent rows only of token_embd.weight");
      if (!f.find_tensor(name)) fail(f.path(), ": ", key("inverse_weight_names"), " lists '", name, "', which is missing");
      r.latent.insert(name);
      widths.push_back(static_cast<int64_t>(f.find_tensor(name)->dims[0]));
    }

  if (r.explicit_signs) {
    for (const char* name : {"sign_widths", "sign_values"})
      if (!f.has(key(name))) fail(f.path(), ": metadata key ", key(name), " is missing (", key("sign_mode"), " is explicit)");
    const std::vector<int64_t> sign_widths = f.get_int_array(key("sign_widths"));
    const std::vector<float> values = f.get_float_array(key("sign_values"));
    size_t offset = 0;
    for (int64_t w : sign_widths) {
      if (w <= 0 || offset + static_cast<size_t>(w) > values.size())
        fail(f.path(), ": ", key("sign_widths"), " (", w, " at offset ", offset, ") overruns the ", values.size(), " ",
             key("sign_values"));
      if (r.signs.count(w)) fail(f.path(), ": ", key("sign_widths"), " lists width ", w, " twice");
      std::vector<float> s(values.begin() + offset, values.begin() + offset + w);
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] != 1.0f && s[i] != -1.0f)
          fail(f.path(), ": ", key("sign_values"), "[", offset + i, "] = ", s[i], " is not +1 or -1");
      r.signs[w] = std::move(s);
      offset += static_cast<size_t>(w);
    }
    if (offset != values.size())
      fail(f.path(), ": ", key("sign_values"), " has ", values.size(), " values, the widths in ", key("sign_widths"),
           " add up to ", offset);
  }
  for (int64_t w : widths) {
    if (w % r.block != 0)
      fail(f.path(), ": a rotated weight reads inputs of width ", w, ", not a multiple of ", key("block_size"), " ", r.block);
    if (!r.explicit_signs)
      r.signs.emplace(w, std::vector<float>(static_cast<size_t>(w), 1.0f));
    else if (!r.signs.count(w))
      fail(f.path(), ": a rotated weight reads inputs of width ", w, ", which has no sign vector in ", key("sign_widths"));
  }
  return r;
}

int64_t tiled_value_head(const DeltaNetConfig& d, int64_t grouped_head) {
  const int64_t ratio = d.n_v_heads / d.n_k_heads;
  return grouped_head / ratio + d.n_k_heads * (grouped_head % ratio);
}

const std::vector<float>& HadamardRotation::signs_for(int64_t width) const {
  auto it = signs.find(width);
  if (it == signs.end()) fail("Hadamard rotation: no sign vector for width ", width);
  return it->second;
}

}  // namespace trit::model
