// The "generation_settings" / "params" object of llama.cpp's native API: what a request (or a
// slot, or the server's defaults) generates with, in llama-server's names. Shared by the
// /completion answers, GET /props and GET /slots.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/generate_options.h"

namespace trit::server {

struct NativeSettings {
  engine::GenerateOptions options;
  int n_probs = 0;
  bool ignore_eos = false;
  bool stream = false;
  int64_t n_ctx = 0;
  std::string model;
};

nlohmann::json native_settings_json(const NativeSettings& s);

}  // namespace trit::server
