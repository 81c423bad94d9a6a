// PyTorch reference fixtures: tests/data/fixtures/<op>.safetensors, written by
// tools/make_fixtures.py (see there). Tensors are named "<case>/<tensor>"; the file's
// metadata maps each case to a JSON object of the op's parameters.
//
//   const auto fx = test::Fixture::load("conv2d");
//   for (const std::string& c : fx.cases()) {
//     const Tensor y = ops::conv2d(fx.tensor(c, "x"), fx.tensor(c, "weight"), ...);
//     EXPECT_TRUE(test::close_normwise(y, fx.tensor(c, "y"))) << c;
//   }
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/safetensors.h"
#include "runtime/tensor.h"

namespace rethink::test {

// The source tree: ctest sets RETHINK_SOURCE_DIR; a test binary run by hand falls back to the
// path it was configured with.
inline std::filesystem::path source_dir() {
  if (const char* env = std::getenv("RETHINK_SOURCE_DIR"); env && *env) return env;
  return RETHINK_TEST_SOURCE_DIR;
}

class Fixture {
 public:
  static Fixture load(std::string_view op) {
    const auto path =
        source_dir() / "tests" / "data" / "fixtures" / (std::string(op) + ".safetensors");
    Fixture fx;
    fx.name_ = std::string(op);
    fx.file_ = read_safetensors(path);  // a missing file throws, naming it
    for (const auto& [c, text] : fx.file_.metadata) {
      fx.cases_.push_back(c);
      fx.params_[c] = nlohmann::json::parse(text);
    }
    return fx;
  }

  const std::vector<std::string>& cases() const { return cases_; }

  // Throws naming the fixture, case and tensor when absent (a stale fixture file).
  Tensor tensor(std::string_view case_name, std::string_view tensor_name) const {
    const std::string key = std::string(case_name) + "/" + std::string(tensor_name);
    const Tensor* t = file_.find(key);
    if (t == nullptr) {
      throw Error(name_ + " fixture has no tensor '" + key +
                  "': regenerate it with /usr/bin/python3 tools/make_fixtures.py " + name_);
    }
    return *t;
  }

  bool has(std::string_view case_name, std::string_view tensor_name) const {
    return file_.find(std::string(case_name) + "/" + std::string(tensor_name)) != nullptr;
  }

  const nlohmann::json& params(std::string_view case_name) const {
    return params_.at(std::string(case_name));
  }

 private:
  std::string name_;
  SafetensorsFile file_;
  std::vector<std::string> cases_;
  std::map<std::string, nlohmann::json> params_;
};

// ||actual - expected|| <= rtol * ||expected|| in the 2-norm over all elements (both read as
// double), with equal shapes. Normwise, so that a few tiny elements with large relative error
// (cancellation) do not fail a correct op while any misplaced or misscaled value does.
inline ::testing::AssertionResult close_normwise(const Tensor& actual, const Tensor& expected,
                                                 double rtol = 1e-5) {
  if (!actual.defined() || !expected.defined()) {
    return ::testing::AssertionFailure() << "close_normwise: undefined tensor";
  }
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << actual.shape().to_string()
                                         << " != expected " << expected.shape().to_string();
  }
  const auto as_double = [](const Tensor& t) {
    switch (t.dtype()) {
      case DType::kFloat32: {
        const auto v = t.to_vector<float>();
        return std::vector<double>(v.begin(), v.end());
      }
      case DType::kFloat64:
        return t.to_vector<double>();
      case DType::kInt32: {
        const auto v = t.to_vector<int32_t>();
        return std::vector<double>(v.begin(), v.end());
      }
      case DType::kUInt8: {
        const auto v = t.to_vector<uint8_t>();
        return std::vector<double>(v.begin(), v.end());
      }
    }
    return std::vector<double>();
  };
  const std::vector<double> a = as_double(actual), e = as_double(expected);
  double diff2 = 0, norm2 = 0, worst = -1;
  size_t worst_index = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - e[i];
    diff2 += d * d;
    norm2 += e[i] * e[i];
    if (!(std::abs(d) <= worst)) {
      worst = std::abs(d);
      worst_index = i;
    }
  }
  const double diff = std::sqrt(diff2), norm = std::sqrt(norm2);
  if (diff <= rtol * norm) return ::testing::AssertionSuccess();
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  failure << "||actual - expected|| = " << diff << " > " << rtol
          << " * ||expected|| = " << rtol * norm << " (relative " << (norm > 0 ? diff / norm : diff)
          << ")";
  if (!a.empty()) {
    failure << "; worst element " << worst_index << ": " << a[worst_index] << " vs "
            << e[worst_index];
  }
  return failure;
}

}  // namespace rethink::test
