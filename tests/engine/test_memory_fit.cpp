// A context whose sequence memory cannot fit is refused before it is allocated, with the sizes and
// the largest context that would fit; one that fits passes. Both model kinds (KV only, and KV plus
// recurrent state).
#include <gtest/gtest.h>

#include "common/test_util.h"
#include "engine/engine.h"
#include "util/error.h"
#include "util/memory_info.h"

namespace trit {
namespace {

void expect_refused_then_fits(const std::string& preset, const std::string& type) {
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 100000;
  engine::Engine engine(test::make_model(preset, type, 7), o);
  const size_t need = engine.sequence_bytes();
  EXPECT_NO_THROW(engine::check_sequence_fits(engine.forward(), o, need * 2));
  try {
    engine::check_sequence_fits(engine.forward(), o, need / 2);
    ADD_FAILURE() << preset << ": a sequence twice the available memory was accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("context 100000"), std::string::npos) << m;
    EXPECT_NE(m.find("at most about"), std::string::npos) << m;
    // The context it names does fit in that memory.
    const size_t at = m.find("at most about ") + 14;
    o.context = std::stoll(m.substr(at));
    EXPECT_GT(o.context, 40000) << m;
    EXPECT_LT(o.context, 50000) << m;
    EXPECT_NO_THROW(engine::check_sequence_fits(engine.forward(), o, need / 2)) << m;
  }
}

TEST(MemoryFit, RefusesAContextThatDoesNotFitAndNamesOneThatDoes) {
  expect_refused_then_fits("tiny", "q2_0");
  expect_refused_then_fits("qwen35-tiny", "pq2_0");
}

TEST(MemoryFit, TheSystemFigureIsReadable) {
  const auto available = available_memory_bytes();
  ASSERT_TRUE(available.has_value()) << "/proc/meminfo has no MemAvailable";
  EXPECT_GT(*available, size_t(16) << 20);
}

}  // namespace
}  // namespace trit
