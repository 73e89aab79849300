// Message content parts: text parts are joined; an image (or audio, file, video) part in any of
// the spellings clients send is a 400 that says the model takes text only and names the part,
// never silently dropped.
#include <gtest/gtest.h>

#include <string>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace trit {
namespace {

using json = nlohmann::json;

json user(json content) { return json::array({{{"role", "user"}, {"content", std::move(content)}}}); }

// The ApiError parse_messages throws for `messages` (fails the test when it does not throw).
server::ApiError rejection(const json& messages) {
  try {
    server::parse_messages(messages);
  } catch (const server::ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << messages.dump();
  return server::ApiError(0, "");
}

TEST(ContentParts, TextPartsAreJoined) {
  auto msgs = server::parse_messages(
      user(json::array({{{"type", "text"}, {"text", "Hello, "}}, {{"type", "text"}, {"text", "world"}}})));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].content, "Hello, world");
  EXPECT_EQ(server::parse_messages(user("plain"))[0].content, "plain");
}

TEST(ContentParts, MediaPartsAre400TextOnly) {
  const json text = {{"type", "text"}, {"text", "What is in this picture?"}};
  struct Case {
    json part;
    std::string kind;
  };
  const Case cases[] = {
      // OpenAI Chat Completions
      {{{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,iVBORw0KGgo="}}}}, "an image"},
      {{{"type", "input_audio"}, {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}}, "audio"},
      {{{"type", "file"}, {"file", {{"file_id", "file-abc"}}}}, "a file"},
      // OpenAI Responses API and other clients
      {{{"type", "input_image"}, {"image_url", "https://example.com/cat.png"}}, "an image"},
      {{{"type", "image"}, {"source", {{"type", "base64"}, {"data", "iVBORw0KGgo="}}}}, "an image"},
      {{{"type", "input_file"}, {"file_id", "file-abc"}}, "a file"},
      {{{"type", "video_url"}, {"video_url", {{"url", "https://example.com/v.mp4"}}}}, "a video"},
  };
  for (const Case& c : cases) {
    const std::string type = c.part["type"];
    // After a text part, so the error names the second part.
    server::ApiError e = rejection(user(json::array({text, c.part})));
    EXPECT_EQ(e.status(), 400) << type;
    EXPECT_EQ(e.param(), "messages") << type;
    const std::string msg = e.what();
    EXPECT_NE(msg.find("text only"), std::string::npos) << msg;
    EXPECT_NE(msg.find("messages[0].content[1] is " + c.kind), std::string::npos) << msg;
    EXPECT_NE(msg.find("'" + type + "'"), std::string::npos) << msg;
  }
}

TEST(ContentParts, UnknownPartTypesAndMalformedPartsAre400) {
  server::ApiError unknown = rejection(user(json::array({{{"type", "hologram"}}})));
  EXPECT_EQ(unknown.status(), 400);
  EXPECT_NE(std::string(unknown.what()).find("'hologram'"), std::string::npos) << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("text only"), std::string::npos) << unknown.what();
  EXPECT_EQ(rejection(user(json::array({{{"text", "no type"}}}))).status(), 400);
  EXPECT_EQ(rejection(user(json::array({{{"type", "text"}}}))).status(), 400);
  // A media part in a later message is found too, and named by its message index.
  json two = json::array({{{"role", "user"}, {"content", "hi"}},
                          {{"role", "user"}, {"content", json::array({{{"type", "input_image"}}})}}});
  EXPECT_NE(std::string(rejection(two).what()).find("messages[1].content[0] is an image"), std::string::npos);
}

}  // namespace
}  // namespace trit
