// Every set of element-wise bodies (kernels/ops_bodies.h) this CPU can run, by name, for the
// kernel tests that check each ISA's body against a plain formula.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "kernels/isa.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {

inline std::vector<std::pair<std::string, const OpsBodies*>> every_ops_body() {
  std::vector<std::pair<std::string, const OpsBodies*>> b = {{"generic", &generic_ops()}};
  for (Isa isa : supported_isas()) {
    if (isa == Isa::avx2) b.push_back({"avx2", &avx2_ops()});
    if (isa == Isa::avx512) b.push_back({"avx512", &avx512_ops()});
  }
  return b;
}

}  // namespace trit::kernels
