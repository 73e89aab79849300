// `trit bench --json-schema FILE` / `--grammar FILE`: a "tg + grammar" row next to the plain tg
// row of the same run, with the time spent in the grammar's mask; a bad schema names the keyword.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/test_util.h"

using namespace trit;

namespace {

TEST(BenchGrammarCli, JsonSchemaAddsAConstrainedTgRow) {
  const std::string model = test::make_model("tiny", "q2_0");
  const std::string dir = test::scratch_dir();
  test::write_file(dir + "/schema.json", R"({"type": "object", "properties": {"n": {"type": "integer"}}})");
  test::CommandResult r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 16 -r 2 -t 1 -o json" +
                                         " --json-schema " + test::shell_quote(dir + "/schema.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u) << r.out;
  EXPECT_EQ(j["results"][0]["test"], "tg16");
  const nlohmann::json& g = j["results"][1];
  EXPECT_EQ(g["test"], "tg16 + grammar");
  ASSERT_EQ(g["grammar_seconds"].size(), 2u);
  EXPECT_GT(g["grammar_ms_per_token"].get<double>(), 0.0);
  EXPECT_LT(g["grammar_fraction_of_time"].get<double>(), 1.0);

  test::write_file(dir + "/root.gbnf", "root ::= [a-z]+ \" \"");
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 8 -r 1 -t 1 --grammar " +
                     test::shell_quote(dir + "/root.gbnf"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| tg8 + grammar |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the grammar (mask + advance) took"), std::string::npos) << r.out;

  test::write_file(dir + "/bad.json", R"({"type": "string", "pattern": "a+"})");
  r = test::run_trit("bench -m " + test::shell_quote(model) + " -p 0 -n 8 -r 1 --json-schema " +
                     test::shell_quote(dir + "/bad.json"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("'pattern'"), std::string::npos) << r.err;
}

}  // namespace
