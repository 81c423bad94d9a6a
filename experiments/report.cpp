#include "experiments/report.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "experiments/format.h"

namespace rethink::report {

std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "|";
  for (const std::string& h : header) out += " " + h + " |";
  out += "\n|";
  for (size_t i = 0; i < header.size(); ++i) out += " --- |";
  out += "\n";
  for (const auto& row : rows) {
    out += "|";
    for (const std::string& cell : row) out += " " + cell + " |";
    out += "\n";
  }
  return out;
}

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd m;
  m.n = static_cast<int64_t>(values.size());
  if (values.empty()) return m;
  double sum = 0;
  for (double v : values) sum += v;
  m.mean = sum / static_cast<double>(values.size());
  if (values.size() > 1) {
    double sq = 0;
    for (double v : values) sq += (v - m.mean) * (v - m.mean);
    m.std = std::sqrt(sq / static_cast<double>(values.size() - 1));
  }
  return m;
}

std::string mean_std_text(const MeanStd& m, int digits) {
  if (m.n == 0) return "–";
  if (m.n == 1) return fmt::format("{:.{}f}", m.mean, digits);
  return fmt::format("{:.{}f} ± {:.{}f}", m.mean, digits, m.std, digits);
}

std::string percent(double fraction, int digits) {
  return fmt::format("{:.{}f}%", 100 * fraction, digits);
}

std::string percent_text(const MeanStd& m, int digits) {
  if (m.n == 0) return "–";
  MeanStd p = m;
  p.mean *= 100;
  p.std *= 100;
  return mean_std_text(p, digits) + "%";
}

std::vector<std::string> data_notes(const nlohmann::json& d) {
  std::vector<std::string> notes;
  const std::string kind = d.value("kind", "");
  const int64_t n = d.value("train_size", int64_t{0});
  const int64_t full = d.value("full_train_size", int64_t{0});
  const int64_t test = d.value("test_size", int64_t{0});
  std::string shape;
  if (d.contains("image_shape") && d["image_shape"].size() == 3) {
    shape = fmt::format("{}x{}x{}", d["image_shape"][1].get<int64_t>(),
                        d["image_shape"][2].get<int64_t>(), d["image_shape"][0].get<int64_t>());
  }
  notes.push_back(fmt::format(
      "Data: `{}` ({}), images {} (HxWxC), n = {} training images{}, "
      "{} test images.",
      d.value("spec", ""), kind, shape, with_thousands(n),
      n < full ? fmt::format(" of {}", with_thousands(full)) : "", with_thousands(test)));
  if (kind == "fashion-mnist") {
    notes.push_back(
        "**Differs from the paper:** Fashion-MNIST (28x28 grayscale clothing, 10 classes) in "
        "place of CIFAR-10 (32x32 RGB, center-cropped to 28x28x3). The models take 28x28x1 "
        "input, so their first layers (and parameter counts) are smaller than the paper's; "
        "accuracy levels are not comparable, the shapes of the curves and the orderings are.");
  } else if (kind == "imagefolder") {
    notes.push_back(
        "**Differs from the paper:** images decoded from an image folder. If it is the "
        "project's shared CIFAR-10 copy (cifar10-jpeg.tar.gz), every image was re-encoded as "
        "JPEG: lossy copies of CIFAR-10's pixels, so accuracies are comparable to, not "
        "identical with, the paper's.");
  } else if (kind == "cifar10") {
    notes.push_back("CIFAR-10 binary batches: the paper's data.");
  } else if (kind == "synthetic") {
    notes.push_back(
        "**Differs from the paper:** synthetic Gaussian images with uniformly random labels "
        "(a smoke test of the pipeline): nothing here is comparable with the paper's numbers.");
  } else {
    notes.push_back(fmt::format(
        "**Differs from the paper:** `{}` data in place of CIFAR-10: compare shapes, not levels.",
        kind));
  }
  if (n < full) {
    notes.push_back(fmt::format(
        "**Differs from the paper:** a subset of {} training images (the paper trains on all "
        "50,000 CIFAR-10 images); the learning rate still decays per {} images, one full-size "
        "epoch.",
        with_thousands(n), with_thousands(full)));
  }
  return notes;
}

std::string data_caption(const nlohmann::json& d) {
  const std::string kind = d.value("kind", "");
  std::string ours = kind == "fashion-mnist" ? "Fashion-MNIST"
                     : kind == "imagefolder" ? "CIFAR-10-like image folder (the shared copy is "
                                               "lossy JPEG)"
                     : kind == "cifar10"     ? "CIFAR-10"
                                             : fmt::format("`{}`", d.value("spec", kind));
  return fmt::format(
      "_Ours: {}, n = {} training images, {} test images. The paper's columns: "
      "CIFAR-10, n = 50,000, 10,000 test images._",
      ours, with_thousands(d.value("train_size", int64_t{0})),
      with_thousands(d.value("test_size", int64_t{0})));
}

std::string utc_now() {
  return fmt::format("{:%Y-%m-%d %H:%M} UTC", fmt::gmtime(std::time(nullptr)));
}

}  // namespace rethink::report
