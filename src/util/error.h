// Errors: every failure the user can cause is a trit::Error whose message names the problem.
// Front ends catch it, print one line and exit non-zero.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace trit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates anything streamable: cat("tensor '", name, "' has ", n, " dims").
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(cat(parts...));
}

}  // namespace trit
