// Hub references, endpoints, URLs and the choice of the Q2_0 file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "hub/hf_ref.h"
#include "util/error.h"

namespace trit::hub {
namespace {

TEST(HfRef, ParsesRepoAndOptionalFile) {
  HfRef a = parse_hf_ref("prism-ml/Ternary-Bonsai-4B-gguf");
  EXPECT_EQ(a.owner, "prism-ml");
  EXPECT_EQ(a.repo, "Ternary-Bonsai-4B-gguf");
  EXPECT_EQ(a.file, "");
  EXPECT_EQ(a.to_string(), "prism-ml/Ternary-Bonsai-4B-gguf");

  HfRef b = parse_hf_ref("owner/repo.v2:sub/dir/model-Q2_0.gguf");
  EXPECT_EQ(b.repo, "repo.v2");
  EXPECT_EQ(b.file, "sub/dir/model-Q2_0.gguf");
  EXPECT_EQ(b.to_string(), "owner/repo.v2:sub/dir/model-Q2_0.gguf");
}

TEST(HfRef, RejectsMalformedReferencesWithTheExpectedForm) {
  for (const char* bad : {"", "noslash", "/repo", "owner/", "a/b/c", "owner/repo:", "owner/repo:../x.gguf",
                          "owner/repo:/abs.gguf", "owner/repo:a//b", "ow ner/repo", "../repo",
                          "owner/..", "owner/repo:dir/"}) {
    try {
      parse_hf_ref(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("OWNER/REPO"), std::string::npos) << e.what();
    }
  }
}

TEST(HfRef, DefaultModelIsTernaryBonsai4BPQ2_0) {
  HfRef ref = default_model_ref();
  EXPECT_EQ(ref.to_string(), "prism-ml/Ternary-Bonsai-4B-gguf:Ternary-Bonsai-4B-PQ2_0.gguf");
}

TEST(HfRef, UrlsFollowTheHubLayout) {
  HfRef ref = parse_hf_ref("prism-ml/Ternary-Bonsai-4B-gguf:Ternary-Bonsai-4B-Q2_0.gguf");
  EXPECT_EQ(file_url("https://huggingface.co", ref),
            "https://huggingface.co/prism-ml/Ternary-Bonsai-4B-gguf/resolve/main/Ternary-Bonsai-4B-Q2_0.gguf");
  EXPECT_EQ(api_url("http://127.0.0.1:9", ref), "http://127.0.0.1:9/api/models/prism-ml/Ternary-Bonsai-4B-gguf");
  HfRef spaced = parse_hf_ref("o/r:dir/a b+c.gguf");
  EXPECT_EQ(file_url("http://h", spaced), "http://h/o/r/resolve/main/dir/a%20b%2Bc.gguf");
}

TEST(HfRef, EndpointFromFlagThenEnvironmentThenDefault) {
  unsetenv("HF_ENDPOINT");
  EXPECT_EQ(resolve_endpoint(""), "https://huggingface.co");
  setenv("HF_ENDPOINT", "http://mirror.example/", 1);
  EXPECT_EQ(resolve_endpoint(""), "http://mirror.example");
  EXPECT_EQ(resolve_endpoint("http://127.0.0.1:8080//"), "http://127.0.0.1:8080");
  unsetenv("HF_ENDPOINT");
  EXPECT_THROW(resolve_endpoint("ftp://x"), Error);
}

TEST(HfRef, DerivesTheQ2_0FileFromTheRepoName) {
  EXPECT_EQ(derived_q2_0_file("Ternary-Bonsai-4B-gguf"), "Ternary-Bonsai-4B-Q2_0.gguf");
  EXPECT_EQ(derived_q2_0_file("Ternary-Bonsai-8B-GGUF"), "Ternary-Bonsai-8B-Q2_0.gguf");
  EXPECT_EQ(derived_q2_0_file("Tiny"), "Tiny-Q2_0.gguf");
}

TEST(HfRef, PicksTheGroup128Q2_0FileFromAListing) {
  std::vector<std::string> files = {"README.md", "Ternary-Bonsai-4B-Q2_0_g64.gguf",
                                    "Ternary-Bonsai-4B-Q2_0.gguf", "Ternary-Bonsai-4B-F16.gguf"};
  EXPECT_EQ(pick_default_file("Ternary-Bonsai-4B-gguf", files), "Ternary-Bonsai-4B-Q2_0.gguf");
  // Named differently from the repo: the one *Q2_0.gguf still wins over g64 and F16.
  EXPECT_EQ(pick_default_file("other-gguf", files), "Ternary-Bonsai-4B-Q2_0.gguf");
  EXPECT_EQ(pick_default_file("x", {"only.gguf", "README.md"}), "only.gguf");
  EXPECT_EQ(pick_default_file("x", {"a-F16.gguf", "b-Q8_0.gguf"}), "");
  EXPECT_EQ(pick_default_file("x", {}), "");
}

TEST(HfRef, PrefersThePq2_0FileWhereTheRepoHasOne) {
  // Upstream repos now carry *-PQ2_0.gguf beside the deprecated *-Q2_0.gguf.
  const std::vector<std::string> files = {"Ternary-Bonsai-4B-Q2_0.gguf", "Ternary-Bonsai-4B-PQ2_0.gguf",
                                          "Ternary-Bonsai-4B-Q2_0_g64.gguf"};
  EXPECT_EQ(pick_default_file("Ternary-Bonsai-4B-gguf", files), "Ternary-Bonsai-4B-PQ2_0.gguf");
  EXPECT_EQ(pick_default_file("other-gguf", files), "Ternary-Bonsai-4B-PQ2_0.gguf");
  // Two PQ2_0 files and no derived name: which one is unclear.
  EXPECT_EQ(pick_default_file("x", {"a-PQ2_0.gguf", "b-PQ2_0.gguf"}), "");
}

}  // namespace
}  // namespace trit::hub
