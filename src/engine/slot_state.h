// What one scheduler slot is doing, as a copy a front end may read from any thread (llama.cpp's
// GET /slots): the scheduler refreshes these copies under its lock after every change, so a
// reader never touches a slot that the scheduler thread is stepping.
#pragma once
#include <cstdint>

#include "engine/generate_options.h"

namespace trit::engine {

struct SlotState {
  int id = 0;
  bool busy = false;           // a request holds the slot
  bool prefilling = false;     // busy and still feeding its prompt
  int64_t prompt_tokens = 0;   // of the current (or last) request
  int64_t generated = 0;       // tokens sampled so far for the current (or last) request
  int64_t cached = 0;          // positions the slot's memory holds
  GenerateOptions options;     // the current (or last) request's limits, sampling and stop strings
  int logprobs = -1;           // the request's logprobs (n_probs)
  bool ignore_eos = false;
};

}  // namespace trit::engine
