// Writes the seeded inputs of one PyTorch model fixture case for tools/fixtures/models.py:
//
//   model_fixture_inputs '<case JSON>' OUT_DIR
//
// OUT_DIR/weights.safetensors: the case's initial weights (save_weights: PyTorch names and
// layouts, what tools/torch_models.py loads strictly); OUT_DIR/batches.safetensors: "images"
// float32 [batches, batch, H, W, C] (NHWC) and "labels" int32 [batches, batch]. The case JSON is
// the fixture case's parameters (tests/models/model_case.h). Exit status 2 on bad arguments.
#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>

#include "models/weights.h"
#include "runtime/safetensors.h"
#include "tests/models/model_case.h"

int main(int argc, char** argv) {
  using namespace rethink;
  if (argc != 3) {
    fmt::print(stderr, "usage: {} '<case JSON>' OUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    const test::ModelCase c = test::ModelCase::from_json(nlohmann::json::parse(argv[1]));
    const std::filesystem::path out = argv[2];
    std::filesystem::create_directories(out);
    const auto model = test::case_model(c);
    save_weights(*model, out / "weights.safetensors", weights_metadata(c.model, c.input));

    const int64_t n = c.batches();
    const Shape image_shape = c.input.batch_shape(c.batch);
    Tensor images =
        Tensor::empty(Shape{n, c.batch, c.input.height, c.input.width, c.input.channels});
    Tensor labels = Tensor::empty(Shape{n, c.batch}, DType::kInt32);
    const int64_t per_batch = image_shape.numel();
    for (int64_t i = 0; i < n; ++i) {
      const Tensor x = test::case_images(c, i);
      const Tensor y = test::case_labels(c, i);
      std::memcpy(images.data<float>() + i * per_batch, x.data<float>(), per_batch * sizeof(float));
      std::memcpy(labels.data<int32_t>() + i * c.batch, y.data<int32_t>(),
                  c.batch * sizeof(int32_t));
    }
    std::ofstream file(out / "batches.safetensors", std::ios::binary | std::ios::trunc);
    file << encode_safetensors({{"images", images}, {"labels", labels}});
    if (!file.flush())
      throw UserError(fmt::format("cannot write {}", (out / "batches.safetensors").string()));
  } catch (const std::exception& e) {
    fmt::print(stderr, "model_fixture_inputs: {}\n", e.what());
    return 2;
  }
  return 0;
}
