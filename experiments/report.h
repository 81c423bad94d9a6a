// Pieces of the Markdown reports that figure1 and table1 write: tables, mean +- std, and the
// statement every report makes about its data (what it is, where it differs from the paper's).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace rethink::report {

// A GitHub-flavoured Markdown table.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

struct MeanStd {
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1); 0 for fewer than two values
  int64_t n = 0;
};
MeanStd mean_std(const std::vector<double>& values);
// "12.3 ± 0.4" (n > 1), "12.3" (n == 1), "–" (n == 0); `digits` after the point.
std::string mean_std_text(const MeanStd& m, int digits);

std::string percent(double fraction, int digits = 2);  // 0.4567 -> "45.67%"
// Fractions as percentages: "45.67 ± 1.20%".
std::string percent_text(const MeanStd& fractions, int digits = 2);

// Sentences about the data set of a run (its config.json "dataset" object): what it is, how
// many images were used, and where it differs from the paper's CIFAR-10.
std::vector<std::string> data_notes(const nlohmann::json& dataset);

// One line to put above each table: our data against the paper's, e.g. "Ours: Fashion-MNIST,
// n = 2,000 training images; the paper's column: CIFAR-10, n = 50,000."
std::string data_caption(const nlohmann::json& dataset);

// "2025-01-31 12:34 UTC"
std::string utc_now();

}  // namespace rethink::report
