// The example config repos in fixtures/ validate, and every bad one fails with the errors
// listed in its expected_errors.txt (one expected prefix per line).

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "coffer/state/config.h"
#include "coffer/state/config_files.h"
#include "coffer/state/quickstart.h"

#include "test_util.h"

namespace coffer::state {
namespace {

const std::string kFixtures = std::string(COFFER_SOURCE_DIR) + "/fixtures";

ConfigLoad LoadDir(const std::string& dir) {
  base::Result<ConfigTree> tree = ReadConfigDir(dir);
  EXPECT_TRUE(tree.has_value()) << dir;
  return LoadConfig(tree.has_value() ? *tree : ConfigTree{});
}

class GoodFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(GoodFixture, Validates) {
  ConfigLoad load = LoadDir(kFixtures + "/" + GetParam());
  EXPECT_TRUE(load.ok()) << FormatErrors(load.errors);
  EXPECT_TRUE(HasAdminPrincipal(load.state));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoodFixture,
                         ::testing::Values("quickstart", "config/readwrite",
                                           "config/per-user-prefix", "config/builtins",
                                           "config/sse-kms", "config/full"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name)
                             c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

TEST(BadFixtures, EachFailsWithItsExpectedErrors) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures + "/config/bad")) {
    if (!entry.is_directory()) continue;
    ++checked;
    ConfigLoad load = LoadDir(entry.path().string());
    std::string all = FormatErrors(load.errors);
    EXPECT_FALSE(load.ok()) << entry.path();
    std::istringstream expected(testing::ReadAll((entry.path() / "expected_errors.txt").string()));
    std::string line;
    while (std::getline(expected, line)) {
      if (line.empty()) continue;
      bool found = false;
      for (const ConfigError& e : load.errors) found = found || e.ToString().starts_with(line);
      EXPECT_TRUE(found) << entry.path() << ": expected an error starting with\n  " << line
                         << "\ngot:\n"
                         << all;
    }
  }
  EXPECT_GE(checked, 9);
}

TEST(QuickstartFixture, ValidatesWithoutItsEnvironment) {
  ConfigLoad load = LoadDir(kFixtures + "/quickstart");
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load.state.users.at("viewer").secret.Text(), "env:COFFER_VIEWER_SECRET");
  EXPECT_EQ(load.state.buckets.count("quickstart"), 1u);
  EXPECT_EQ(load.state.policies.size(), 2u);
}

TEST(ContentDigest, IsStableAndSensitiveToContent) {
  testing::TestRandom random;
  ConfigTree a = testing::Tree({{"a.toml", "x"}, {"b.toml", "y"}});
  ConfigTree b = testing::Tree({{"a.toml", "x"}, {"b.toml", "z"}});
  EXPECT_EQ(ContentDigest(a, random.LibCtx()), ContentDigest(a, random.LibCtx()));
  EXPECT_NE(ContentDigest(a, random.LibCtx()), ContentDigest(b, random.LibCtx()));
  EXPECT_TRUE(ContentDigest(a, random.LibCtx()).starts_with("sha256:"));
}

}  // namespace
}  // namespace coffer::state

namespace coffer::state {
namespace {

TEST(QuickstartFixture, EmbeddedCopyMatchesTheFixtureAndValidates) {
  base::Result<ConfigTree> on_disk = ReadConfigDir(kFixtures + "/quickstart");
  ASSERT_TRUE(on_disk.has_value());
  EXPECT_EQ(QuickstartConfig().files, on_disk->files);
  ConfigLoad load = LoadConfig(QuickstartConfig());
  EXPECT_TRUE(load.ok()) << FormatErrors(load.errors);
}

}  // namespace
}  // namespace coffer::state

namespace coffer::state {
namespace {

TEST(DescribeRevision, GitWorkTreeGivesCommitAuthorAndDirtyFlag) {
  testing::TempDir dir;
  testing::TestRandom random;
  const std::string d = dir.path().string();
  std::ofstream(dir.Path("main.toml")) << "[buckets.logs]\n";
  ConfigTree tree = *ReadConfigDir(d);
  Revision plain = DescribeRevision(d, tree, random.LibCtx());
  EXPECT_FALSE(plain.git);
  EXPECT_EQ(plain.id, ContentDigest(tree, random.LibCtx()));
  std::string git = "git -C '" + d + "' -c user.name='Ada Lovelace' -c user.email=ada@example.com ";
  ASSERT_EQ(
      std::system(
          (git + "init -q && " + git + "add main.toml && " + git + "commit -q -m initial").c_str()),
      0);
  Revision clean = DescribeRevision(d, tree, random.LibCtx());
  EXPECT_TRUE(clean.git);
  EXPECT_EQ(clean.id.size(), 40u);
  EXPECT_EQ(clean.author, "Ada Lovelace <ada@example.com>");
  EXPECT_FALSE(clean.dirty);
  std::ofstream(dir.Path("main.toml"), std::ios::app) << "[buckets.more]\n";
  Revision dirty = DescribeRevision(d, tree, random.LibCtx());
  EXPECT_TRUE(dirty.dirty);
  EXPECT_EQ(dirty.id, clean.id);
  EXPECT_NE(dirty.ToString().find("(dirty)"), std::string::npos);
}

}  // namespace
}  // namespace coffer::state
