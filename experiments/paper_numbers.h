// The paper's numbers that our reports print beside ours (../shared/docs/PAPER.md, section 6:
// Zhang et al., ICLR 2017, CIFAR-10). Reference data, not results of this code.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rethink::paper {

// Table 1: CIFAR-10 train/test accuracy (%), by model, random crop, weight decay; the
// random-label rows have random_labels set (no crop, no weight decay).
struct Table1Row {
  std::string_view model;  // zoo name
  bool crop = false;
  bool weight_decay = false;
  bool random_labels = false;
  double train = 0;
  double test = 0;
};
std::span<const Table1Row> table1();
std::optional<Table1Row> table1_row(std::string_view model, bool crop, bool weight_decay,
                                    bool random_labels);

// Table 4: fitting random labels with a regularizer on; train accuracy (%) or a note.
struct Table4Row {
  std::string_view model;
  std::string_view regularizer;  // "weight-decay", "random-crop", "augmentation"
  std::string_view train;        // "100%", "Failed to converge", ...
};
std::span<const Table4Row> table4();
std::optional<Table4Row> table4_row(std::string_view model, std::string_view regularizer);

// Figure 1c endpoints implied by Table 1 (test error %, p = 0 and p = 1).
struct Figure1cEndpoints {
  std::string_view model;
  double p0 = 0;
  double p1 = 0;
};
std::optional<Figure1cEndpoints> figure1c_endpoints(std::string_view model);

// Figure 1a: steps to a training loss <= 0.01 in an independent reproduction (Inception,
// batch 128, lr 0.1 x 0.95 per epoch); PAPER.md 6.5. The figure itself has no verified values.
std::optional<double> figure1a_reproduction_steps(std::string_view condition);

// The paper's name of a zoo model ("MLP 1x512").
std::string_view model_title(std::string_view model);

}  // namespace rethink::paper
