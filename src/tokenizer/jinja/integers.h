// Integer arithmetic of templates. Jinja's ints are Python's, unbounded; here they are int64, and
// a result outside that range is an error (the renderer adds the template line) instead of
// undefined behaviour: chat templates come from model files, which nobody has to trust.
#pragma once
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "util/error.h"

namespace trit::tokenizer::jinja {

[[noreturn]] inline void integer_overflow(const char* op) { fail("integer overflow in ", op, " (integers are 64-bit)"); }

inline int64_t add_int(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) integer_overflow("+");
  return r;
}
inline int64_t sub_int(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) integer_overflow("-");
  return r;
}
inline int64_t mul_int(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) integer_overflow("*");
  return r;
}
inline int64_t negate_int(int64_t a) { return sub_int(0, a); }

// Python's floor division and modulo (the remainder takes the divisor's sign); y != 0.
inline int64_t floor_mod(int64_t x, int64_t y) {
  if (y == -1) return 0;  // INT64_MIN % -1 traps in C++
  const int64_t r = x % y;
  return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}
inline int64_t floor_div(int64_t x, int64_t y) {
  if (y == -1) return negate_int(x);  // INT64_MIN // -1 is the one quotient that overflows
  const int64_t q = x / y, r = x % y;
  return r != 0 && ((r < 0) != (y < 0)) ? q - 1 : q;
}

// x ** y for y >= 0 by squaring.
inline int64_t pow_int(int64_t x, int64_t y) {
  int64_t r = 1;
  for (;;) {
    if (y & 1) r = mul_int(r, x);
    y >>= 1;
    if (y == 0) return r;
    if (x != 0 && x != 1 && x != -1) x = mul_int(x, x);  // 0, 1, -1 square to themselves
    else if (x == -1) x = 1;
  }
}

// d truncated toward zero; fails where Python would need more than 64 bits (or d is inf/nan).
inline int64_t int_of_double(double d) {
  // [-2^63, 2^63) is exactly the doubles whose truncation fits.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) fail("cannot convert ", d, " to a 64-bit integer");
  return static_cast<int64_t>(d);
}

// A string of decimal digits as an integer; fails when it does not fit.
inline int64_t parse_int(std::string_view digits) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) fail("integer ", digits, " is out of the 64-bit range");
  return v;
}

}  // namespace trit::tokenizer::jinja
