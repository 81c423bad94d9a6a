// Every case of the bad-input corpus (tests/data/bad/, see make_corpus.py there) is refused by
// load_dataset with a UserError that names the offending file and says what is wrong.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "datasets/dataset.h"
#include "kernels/error.h"
#include "tests/datasets/reader_files.h"
#include "tests/support/fixture.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {

namespace fs = std::filesystem;

fs::path corpus() { return test::source_dir() / "tests" / "data" / "bad"; }

nlohmann::json cases() {
  std::ifstream in(corpus() / "cases.json");
  return nlohmann::json::parse(in);
}

TEST(BadInputCorpusTest, EveryFolderHasACaseAndEveryCaseAFolder) {
  std::set<std::string> folders, listed;
  for (const auto& e : fs::directory_iterator(corpus())) {
    if (e.is_directory()) folders.insert(e.path().filename().string());
  }
  const nlohmann::json all = cases();
  for (const auto& [name, c] : all.items()) listed.insert(name);
  EXPECT_EQ(folders, listed);
  EXPECT_GE(listed.size(), 20u);
}

TEST(BadInputCorpusTest, EveryCaseIsAUserErrorNamingTheFile) {
  const test::TempDir cache;
  ASSERT_EQ(::setenv("RETHINK_CACHE_DIR", cache.path().c_str(), 1), 0);
  const nlohmann::json all = cases();
  for (const auto& [name, c] : all.items()) {
    const std::string spec = c["data"].get<std::string>() + ":" + (corpus() / name).string();
    const std::string file = c["file"], says = c["says"];
    EXPECT_TRUE(test::throws_with<UserError>([&] { load_dataset(spec, 0); }, {file, says})) << name;
  }
  ::unsetenv("RETHINK_CACHE_DIR");
  EXPECT_TRUE(fs::is_empty(cache.path()));  // nothing half-loaded was cached
}

}  // namespace
}  // namespace rethink
