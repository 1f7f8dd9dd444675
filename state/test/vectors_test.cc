// Runs fixtures/vectors/state*.toml: each case's files must load with exactly the listed
// errors (each expected entry is the start of one error line, in order).

#include <filesystem>

#include <gtest/gtest.h>

#include "coffer/state/config.h"

#include "test_util.h"
#include "toml_wrapper.h"

namespace coffer::state {
namespace {

void RunVectorFile(const std::filesystem::path& path) {
  toml::parse_result parsed = toml::parse(testing::ReadAll(path.string()), path.string());
  ASSERT_TRUE(parsed) << path << ": " << parsed.error().description();
  const toml::table& root = parsed.table();
  ASSERT_TRUE(root["name"].is_string()) << path;
  ASSERT_TRUE(root["description"].is_string()) << path;
  const toml::array* cases = root["case"].as_array();
  ASSERT_NE(cases, nullptr) << path;
  for (const toml::node& node : *cases) {
    const toml::table& c = *node.as_table();
    std::string name = c["name"].value_or(std::string("?"));
    ConfigTree tree;
    for (auto&& [file, text] : *c["files"].as_table()) {
      tree.files[std::string(file.str())] = text.value_or(std::string());
    }
    ConfigLoad load = LoadConfig(tree);
    std::vector<std::string> expected;
    for (const toml::node& e : *c["errors"].as_array())
      expected.push_back(e.value_or(std::string()));
    std::string got = FormatErrors(load.errors);
    ASSERT_EQ(load.errors.size(), expected.size()) << path << " / " << name << ":\n" << got;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(load.errors[i].ToString().starts_with(expected[i]))
          << path << " / " << name << ": expected\n  " << expected[i] << "\ngot\n  "
          << load.errors[i].ToString();
    }
  }
}

TEST(StateVectors, EveryCaseReportsExactlyItsErrors) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(COFFER_SOURCE_DIR) + "/fixtures/vectors")) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("state") || entry.path().extension() != ".toml") continue;
    ++files;
    RunVectorFile(entry.path());
  }
  EXPECT_GE(files, 1);
}

}  // namespace
}  // namespace coffer::state
