// The f64 building blocks the reference forward passes share (reference_forward.h for Qwen3,
// reference_qwen35.h): plain loops, written from the math, no engine code.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/reader.h"

namespace trit::test {

using Vec = std::vector<double>;
using Matrix = std::vector<Vec>;  // [rows][cols]

// A tensor dequantized to f64, [rows][cols] (a vector is one row), as the model means it: a
// weight that Bonsai 2's Hadamard contract stores rotated or latent comes back primal
// (unrotate). Throws if the file lacks it.
Matrix read_matrix(const gguf::File& file, const std::string& name);
Vec read_vector(const gguf::File& file, const std::string& name);
// The primal form of a tensor of a file with prism.hadamard.* keys (reference_hadamard.cpp): a
// weight in weight_names, stored W_s with W x = W_s H_B (s ⊙ P x), becomes W_s H_B diag(s) P; an
// embedding in inverse_weight_names, stored latent z, becomes s ⊙ H_B z. Others pass unchanged.
Matrix unrotate(const gguf::File& file, const std::string& name, Matrix stored);

// x / sqrt(mean(x^2) + eps) * w
Vec rms_norm(const Vec& x, const Vec& w, double eps);
Vec matvec(const Matrix& m, const Vec& x);
double sigmoid(double x);
double silu(double x);
// NEOX rotation of the first `rot` dims of one head: i pairs with i + rot/2, angle pos * base^(-2i/rot).
void rope(double* v, int64_t rot, int64_t pos, double base);
// Index of the largest value (the first, on ties).
int32_t argmax(const Vec& v);

}  // namespace trit::test
