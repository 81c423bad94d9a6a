// `rethink models` as a user meets it: the zoo table, one model's layers, other inputs and
// class counts, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "tests/experiments/process.h"

namespace rethink {
namespace {
using rethink::testing::ProcessResult;
using rethink::testing::run_process;

ProcessResult rethink_models(std::vector<std::string> args) {
  args.insert(args.begin(), {RETHINK_BINARY, "models"});
  return run_process(args);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line that starts with `first` (a model or layer name and a space), or "".
std::string line_for(const std::string& text, const std::string& first) {
  for (const std::string& line : lines_of(text)) {
    if (line.rfind(first + " ", 0) == 0) return line;
  }
  return "";
}

void expect_usage_error(const ProcessResult& r, const std::vector<std::string>& mentions) {
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("rethink: error: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  for (const std::string& m : mentions) EXPECT_NE(r.output.find(m), std::string::npos) << r.output;
}

TEST(ModelsCliTest, ListsEveryModelWithParametersMultiplyAddsAndActivations) {
  const ProcessResult r = rethink_models({});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string header = lines_of(r.output).at(0);
  for (const char* column : {"model", "parameters", "multiply-adds", "activations"}) {
    EXPECT_NE(header.find(column), std::string::npos) << header;
  }
  struct Row {
    const char* name;
    const char* parameters;
    const char* macs;
  };
  // Multiply-adds of one 28x28x3 image: PAPER.md's ~204 M (Inception) and ~25 M (AlexNet).
  for (const Row& row :
       {Row{"inception", "1,649,402", "204,219,680"},
        Row{"inception-nobn", "1,649,402", "204,219,680"},
        Row{"alexnet", "1,387,786", "25,113,472"}, Row{"mlp1x512", "1,209,866", "1,209,344"},
        Row{"mlp3x512", "1,735,178", "1,733,632"}}) {
    const std::string line = line_for(r.output, row.name);
    EXPECT_NE(line.find(row.parameters), std::string::npos) << row.name << ": " << line;
    EXPECT_NE(line.find(row.macs), std::string::npos) << row.name << ": " << line;
    EXPECT_NE(line.find("iB"), std::string::npos) << row.name << ": " << line;
  }
  // The columns line up: every count ends where the header's "parameters" does.
  const size_t end = header.find("parameters") + std::string("parameters").size();
  EXPECT_EQ(line_for(r.output, "alexnet").find("1,387,786") + 9, end) << r.output;
  EXPECT_EQ(line_for(r.output, "mlp1x512").find("1,209,866") + 9, end) << r.output;
}

TEST(ModelsCliTest, InputAndClassesChangeTheCounts) {
  const ProcessResult r = rethink_models({"--input", "1,28,28", "--classes", "7"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 784 * 512 + 512 + 512 * 7 + 7
  EXPECT_NE(line_for(r.output, "mlp1x512").find("405,511"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("28x28x1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("7 classes"), std::string::npos) << r.output;
  // A 32x32 image leaves 2x2 after Inception's 7x7 pool: 336 * 4 * 10 + 10 in the classifier.
  const ProcessResult wide = rethink_models({"--input", "3,32,32"});
  ASSERT_EQ(wide.exit_code, 0) << wide.output;
  EXPECT_NE(line_for(wide.output, "inception").find("1,659,482"), std::string::npos) << wide.output;
}

TEST(ModelsCliTest, SummaryListsOneModelsLayers) {
  const ProcessResult r = rethink_models({"--model", "inception", "--summary"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string conv = line_for(r.output, "features.3.branch3x3.conv");
  EXPECT_NE(conv.find("Conv2d"), std::string::npos) << conv;
  EXPECT_NE(conv.find("14x14x80"), std::string::npos) << conv;
  EXPECT_NE(conv.find("57,600"), std::string::npos) << conv;      // 3 * 3 * 80 * 80
  EXPECT_NE(conv.find("11,289,600"), std::string::npos) << conv;  // 14 * 14 * 80 * 720
  EXPECT_NE(line_for(r.output, "features.3").find("14x14x160"), std::string::npos) << r.output;
  EXPECT_NE(line_for(r.output, "pool").find("1x1x336"), std::string::npos) << r.output;
  const std::string total = line_for(r.output, "total");
  EXPECT_NE(total.find("1,649,402"), std::string::npos) << total;
  EXPECT_NE(total.find("204,219,680"), std::string::npos) << total;
  EXPECT_NE(r.output.find("activations per image"), std::string::npos) << r.output;

  const ProcessResult dropped =
      rethink_models({"--model", "mlp1x512", "--summary", "--dropout", "0.5"});
  ASSERT_EQ(dropped.exit_code, 0) << dropped.output;
  EXPECT_NE(line_for(dropped.output, "dropout").find("Dropout"), std::string::npos)
      << dropped.output;
  EXPECT_NE(line_for(dropped.output, "total").find("1,209,866"), std::string::npos)
      << dropped.output;
}

TEST(ModelsCliTest, AnInputAModelCannotTakeIsMarkedInTheListAndRefusedForThatModel) {
  const ProcessResult list = rethink_models({"--input", "3,8,8"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(line_for(list.output, "inception").find("AvgPool2d 'pool'"), std::string::npos)
      << list.output;
  EXPECT_NE(line_for(list.output, "alexnet").find("281,866"), std::string::npos) << list.output;

  expect_usage_error(
      rethink_models({"--model", "inception", "--input", "3,8,8", "--summary"}),
      {"--input 3,8,8", "inception cannot take 8x8 images", "AvgPool2d 'pool'", "[1, 2, 2, 336]"});
  expect_usage_error(rethink_models({"--model", "inception-nobn", "--input", "3,24,24"}),
                     {"AvgPool2d 'pool'"});
}

TEST(ModelsCliTest, BadRequestsAreUsageErrorsNamingTheFix) {
  expect_usage_error(
      rethink_models({"--model", "resnet"}),
      {"--model 'resnet'", "inception, inception-nobn, alexnet, mlp1x512, mlp3x512"});
  expect_usage_error(rethink_models({"--summary"}), {"--model NAME"});
  expect_usage_error(rethink_models({"--input", "3,0,28"}), {"--input '3,0,28'"});
  expect_usage_error(rethink_models({"--classes", "1"}), {"--classes"});
  expect_usage_error(rethink_models({"--dropout", "1.5"}), {"--dropout"});
  expect_usage_error(rethink_models({"--dropout", "1"}), {"--dropout 1"});
}

}  // namespace
}  // namespace rethink
