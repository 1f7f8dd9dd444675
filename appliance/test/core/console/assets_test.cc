// The embedded front-end: present, typed, and free of what the CSP forbids or
// what would render data as markup.
#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "coffer/core/console/console.h"

namespace coffer::core::console {
namespace {

const Asset* Find(std::string_view path) {
  for (const Asset& a : EmbeddedAssets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

TEST(ConsoleAssets, TheApplicationIsEmbedded) {
  for (const char* path : {"index.html", "app.js", "app.css"}) {
    const Asset* asset = Find(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_GT(asset->body.size(), 100u) << path;
  }
  EXPECT_EQ(Find("index.html")->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Find("app.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Find("app.css")->content_type, "text/css; charset=utf-8");
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The tags of an HTML text, lower-cased: "<script src=app.js defer>", ...
std::vector<std::string> Tags(const std::string& html) {
  std::vector<std::string> tags;
  for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    tags.push_back(Lower(html.substr(at, html.find('>', at) - at + 1)));
  }
  return tags;
}

TEST(ConsoleAssets, HtmlHasNoInlineScriptNorHandlersNorRemoteUrls) {
  const std::string html(Find("index.html")->body);
  const std::string lower = Lower(html);
  // Every <script> has a src and nothing inside.
  for (std::size_t at = lower.find("<script"); at != std::string::npos;
       at = lower.find("<script", at + 1)) {
    const std::size_t close = lower.find('>', at);
    EXPECT_NE(lower.substr(at, close - at).find(" src="), std::string::npos);
    EXPECT_EQ(lower.substr(close + 1, 9), "</script>");
  }
  for (const std::string& tag : Tags(html)) {
    // No inline event handler: no attribute named on...=.
    for (std::size_t at = tag.find(" on"); at != std::string::npos; at = tag.find(" on", at + 1)) {
      std::size_t end = at + 3;
      while (end < tag.size() && std::isalpha(static_cast<unsigned char>(tag[end]))) ++end;
      EXPECT_FALSE(end < tag.size() && tag[end] == '=') << tag;
    }
    // No CDN, no remote fonts: nothing is fetched from elsewhere.
    EXPECT_EQ(tag.find("//"), std::string::npos) << tag;
  }
  EXPECT_EQ(lower.find("style="), std::string::npos);  // The CSP has no 'unsafe-inline'.
  for (const Asset& asset : EmbeddedAssets()) {
    const std::string body = Lower(asset.body);
    EXPECT_EQ(body.find("@import"), std::string::npos) << asset.path;
    EXPECT_EQ(body.find("url(http"), std::string::npos) << asset.path;
    EXPECT_EQ(body.find("fetch('http"), std::string::npos) << asset.path;
  }
}

TEST(ConsoleAssets, ScriptNeverBuildsMarkupFromStrings) {
  const std::string js(Find("app.js")->body);
  for (const char* banned : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                             "eval(", "new Function", "alert(", "confirm(", "prompt("}) {
    EXPECT_EQ(js.find(banned), std::string::npos) << banned;
  }
  // No secret outlives the login form: nothing goes to web storage.
  EXPECT_EQ(js.find("localStorage"), std::string::npos);
  EXPECT_EQ(js.find("sessionStorage"), std::string::npos);
  EXPECT_EQ(js.find("document.cookie"), std::string::npos);
}

}  // namespace
}  // namespace coffer::core::console
