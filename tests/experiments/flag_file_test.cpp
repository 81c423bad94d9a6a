// Flags from JSON (--config, and a resumed run's own): parsed and validated as on the command
// line, errors naming the file and the key.
#include "experiments/flag_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "experiments/fit_options.h"
#include "kernels/check.h"
#include "tests/support/throws.h"

namespace rethink::cli {
namespace {
using test::throws_with;

struct Parsed {
  CLI::App app{"test"};
  FitOptions o;
  Parsed(std::vector<std::string> args) {
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    add_fit_flags(app, o);
    std::reverse(args.begin(), args.end());
    app.parse(args);
  }
};

TEST(FlagFileTest, ValuesFillTheFlagsNotGivenOnTheCommandLine) {
  Parsed p({"--lr", "0.5"});
  const nlohmann::json values = {{"lr", 0.2},
                                 {"epochs", 7},
                                 {"until_fit", true},
                                 {"--model", "alexnet"},
                                 {"corrupt-prob", nullptr}};
  apply_flag_values(p.app, values, "f.json", given_flags(p.app));
  EXPECT_EQ(p.o.lr, 0.5);  // the command line wins
  EXPECT_EQ(p.o.epochs, 7);
  EXPECT_TRUE(p.o.until_fit);
  EXPECT_EQ(p.o.model, "alexnet");
  EXPECT_EQ(p.o.corrupt_prob, -1);  // null: left at its default
}

TEST(FlagFileTest, AFlagCanBeTurnedOffFromAFile) {
  Parsed p({});
  apply_flag_values(p.app, {{"nesterov", true}}, "f.json", {});
  EXPECT_TRUE(p.o.nesterov);
  apply_flag_values(p.app, {{"nesterov", false}}, "f.json", {});
  EXPECT_FALSE(p.o.nesterov);
}

TEST(FlagFileTest, ErrorsNameTheFileAndTheKey) {
  Parsed p({});
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        apply_flag_values(p.app, {{"learning_rate", 0.1}}, "my.json", {});
      },
      {"my.json", "'learning_rate'", "not a flag"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        apply_flag_values(p.app, {{"epochs", -3}}, "my.json", {});
      },
      {"my.json", "'epochs'", "positive"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        apply_flag_values(p.app, {{"lr-schedule", "cosine"}}, "my.json", {});
      },
      {"my.json", "'lr-schedule'", "cosine"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        apply_flag_values(p.app, {{"epochs", {{"a", 1}}}}, "my.json", {});
      },
      {"my.json", "'epochs'"}));
  EXPECT_TRUE(throws_with<UserError>(
      [&] {
        apply_flag_values(p.app, {{"resume", "x"}}, "my.json", {});
      },
      {"my.json", "'resume'", "cannot be set from a file"}));
}

TEST(FlagFileTest, ReadsAPlainObjectOrARunsConfig) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("rethink-flag-file-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << R"({"command": "fit", "flags": {"epochs": 3}, "settings": {}})";
  EXPECT_EQ(read_flag_file(file), nlohmann::json({{"epochs", 3}}));
  std::ofstream(file) << R"({"epochs": 4})";
  EXPECT_EQ(read_flag_file(file)["epochs"], 4);
  std::ofstream(file) << "[1, 2]";
  EXPECT_TRUE(throws_with<UserError>([&] { read_flag_file(file); }, {"JSON object"}));
  std::ofstream(file) << "{";
  EXPECT_TRUE(throws_with<UserError>([&] { read_flag_file(file); }, {"not valid JSON"}));
  std::filesystem::remove(file);
  EXPECT_TRUE(throws_with<UserError>([&] { read_flag_file(file); }, {"cannot open"}));
}

TEST(FlagFileTest, EveryFitFlagIsRecordedExceptThePlumbing) {
  // config.json's "flags" must be able to repeat the run: every training flag is in it.
  Parsed p({});
  const nlohmann::json flags = flags_json(p.o);
  for (const CLI::Option* opt : p.app.get_options()) {
    if (opt->get_lnames().empty()) continue;
    const std::string name = opt->get_lnames().front();
    if (name == "help" || name == "out" || name == "overwrite" || name == "config" ||
        name == "resume" || name == "progress" || name == "profile") {  // how, not what
      continue;
    }
    EXPECT_TRUE(flags.contains(name)) << "--" << name << " is not in flags_json";
  }
  for (const auto& [key, value] : flags.items()) {
    EXPECT_NE(p.app.get_option_no_throw("--" + key), nullptr) << key;
  }
}

}  // namespace
}  // namespace rethink::cli
