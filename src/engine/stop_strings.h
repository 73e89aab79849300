// Stop strings over streamed text: text is released only once it can no longer be the start of a
// stop string, and generation ends at the first complete stop string (which is not emitted).
#pragma once
#include <string>
#include <vector>

namespace trit::engine {

class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops);

  // Adds text; returns what may be emitted now.
  std::string push(const std::string& text);
  // Whether a stop string was seen (everything from it on is dropped).
  bool stopped() const { return stopped_; }
  // The stop string that ended the text (the first in the text; empty while not stopped).
  const std::string& matched() const { return matched_; }
  // At the end: the held-back text (a partial stop string that never completed).
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace trit::engine
