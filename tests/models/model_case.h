// The seeded inputs of the PyTorch model fixtures (tests/data/fixtures/models.safetensors): a
// zoo model initialized from a seed, and batches drawn from the same seed. The writer that
// tools/fixtures/models.py runs (model_fixture_inputs) and the test that compares against
// PyTorch's results both make them here, so the committed fixture holds PyTorch's outputs
// only and the test regenerates the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "models/module.h"
#include "models/zoo/registry.h"
#include "runtime/random.h"
#include "runtime/tensor.h"

namespace rethink::test {

struct ModelCase {
  std::string model;
  ModelInput input;
  int64_t batch = 8;
  uint64_t seed = 0;
  // 0: one training-mode forward and backward (logits, loss, gradients). Otherwise that many
  // SGD steps cycling through `pool` batches (batch s % pool at step s), then an eval-mode
  // forward on batch `pool`.
  int64_t steps = 0;
  int64_t pool = 1;
  double lr = 0.01;
  double momentum = 0.9;

  // The fixture case's parameters, as tools/fixtures/models.py writes them.
  static ModelCase from_json(const nlohmann::json& j) {
    ModelCase c;
    c.model = j.at("model").get<std::string>();
    const auto shape = j.at("input");
    c.input = ModelInput{shape.at(0).get<int64_t>(), shape.at(1).get<int64_t>(),
                         shape.at(2).get<int64_t>(), j.at("classes").get<int64_t>()};
    c.batch = j.at("batch").get<int64_t>();
    c.seed = j.at("seed").get<uint64_t>();
    c.steps = j.value("steps", int64_t{0});
    c.pool = j.value("pool", int64_t{1});
    c.lr = j.value("lr", 0.01);
    c.momentum = j.value("momentum", 0.9);
    return c;
  }

  // Batches the case uses: one, or the pool plus the eval batch.
  int64_t batches() const { return steps == 0 ? 1 : pool + 1; }
};

// The case's model, built and initialized from its seed.
inline std::shared_ptr<Module> case_model(const ModelCase& c) {
  std::shared_ptr<Module> model = make_model(c.model, c.input);
  model->initialize(c.seed);
  return model;
}

// Batch `index`: standard normal images (what per-image whitening gives) [batch, H, W, C].
inline Tensor case_images(const ModelCase& c, int64_t index) {
  Tensor x = Tensor::empty(c.input.batch_shape(c.batch));
  fill_normal(x, 0, 1, PhiloxStream::make(c.seed, RngPurpose::kData, static_cast<uint32_t>(index)));
  return x;
}

// Batch `index`'s labels: uniform classes, int32 [batch].
inline Tensor case_labels(const ModelCase& c, int64_t index) {
  const auto stream = PhiloxStream::make(c.seed, RngPurpose::kLabels, static_cast<uint32_t>(index));
  std::vector<int32_t> labels(static_cast<size_t>(c.batch));
  for (size_t i = 0; i < labels.size(); ++i) {
    labels[i] = static_cast<int32_t>(stream.below(i, static_cast<uint32_t>(c.input.classes)));
  }
  return Tensor::from_vector(Shape{c.batch}, labels);
}

}  // namespace rethink::test
