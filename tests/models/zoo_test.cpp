// The model zoo as a whole: the paper's parameter counts read back from weights files, output
// shapes, TensorFlow's SAME padding inside the models, training, saving and loading, inputs a
// model cannot take, and dropout before the classifier.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/layers/conv2d.h"
#include "models/weights.h"
#include "models/zoo/alexnet.h"
#include "models/zoo/inception.h"
#include "models/zoo/registry.h"
#include "runtime/autograd.h"
#include "runtime/ops/softmax_cross_entropy.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "tests/models/helpers.h"
#include "tests/support/data.h"
#include "tests/support/throws.h"

namespace rethink {
namespace {
namespace fs = std::filesystem;
using kernels::PaddingMode;
using test::as_doubles;

const ModelInput kCifar{3, 28, 28, 10};

// The paper's Table 1 counts (PAPER.md section 4).
const std::map<std::string, int64_t> kPaperCounts = {
    {"inception", 1'649'402}, {"inception-nobn", 1'649'402}, {"alexnet", 1'387'786},
    {"mlp1x512", 1'209'866},  {"mlp3x512", 1'735'178},
};

bool is_buffer_name(const std::string& name) {
  return name.ends_with(".running_mean") || name.ends_with(".running_var") ||
         name.ends_with(".num_batches_tracked");
}

class ZooTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rethink-zoo-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  test::SingleThreaded single_threaded_;

  static std::shared_ptr<Module> built(const std::string& name, const ModelInput& in = kCifar,
                                       uint64_t seed = 1) {
    auto m = make_model(name, in);
    m->initialize(seed);
    return m;
  }
  static Tensor images(const ModelInput& in, int64_t batch, uint64_t seed) {
    return test::float_tensor(in.batch_shape(batch), seed, -2, 2);
  }
  static Tensor labels(const ModelInput& in, int64_t batch, uint64_t seed) {
    return Tensor::from_vector(Shape{batch},
                               test::index_values(batch, static_cast<uint32_t>(in.classes), seed));
  }

  fs::path dir_;
};

TEST_F(ZooTest, ParameterCountsReadBackFromAWeightsFileAreThePapers) {
  ASSERT_EQ(model_registry().size(), kPaperCounts.size());
  for (const ModelEntry& e : model_registry()) {
    const auto model = built(e.name);
    const fs::path path = dir_ / (e.name + ".safetensors");
    save_weights(*model, path, weights_metadata(e.name, kCifar));
    const SafetensorsFile file = read_safetensors(path);
    int64_t parameters = 0;
    for (const auto& [name, t] : file.tensors) {
      if (!is_buffer_name(name)) parameters += t.numel();
    }
    EXPECT_EQ(parameters, kPaperCounts.at(e.name)) << e.name;
    EXPECT_EQ(model->parameter_count(), kPaperCounts.at(e.name)) << e.name;
    EXPECT_EQ(file.metadata.at("model"), e.name);
    EXPECT_EQ(file.metadata.at("input"), "3,28,28");
    EXPECT_EQ(file.metadata.at("classes"), "10");
    EXPECT_EQ(file.metadata.at("format"), "rethink-weights");
    EXPECT_EQ(file.metadata.at("format_version"), "1");
  }
}

TEST_F(ZooTest, TheFileHoldsConvFiltersOihwAndLinearWeightsOutIn) {
  const auto model = built("alexnet");
  const fs::path path = dir_ / "alexnet.safetensors";
  save_weights(*model, path);
  const SafetensorsFile file = read_safetensors(path);
  const Tensor& oihw = *file.find("features.0.weight");
  EXPECT_EQ(oihw.shape(), (Shape{64, 3, 5, 5}));
  EXPECT_EQ(file.find("hidden.0.weight")->shape(), (Shape{384, 3136}));
  // Element [o, i, h, w] of the file is element [o, h, w, i] of our OHWI filter.
  const auto& conv = dynamic_cast<const Conv2d&>(dynamic_cast<AlexNet&>(*model).features()[0]);
  const std::vector<float> ours = conv.weight().to_vector<float>();
  const std::vector<float> theirs = oihw.to_vector<float>();
  for (int64_t o : {0, 17, 63}) {
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t h : {0, 2, 4}) {
        for (int64_t w : {0, 3}) {
          EXPECT_EQ(theirs[((o * 3 + i) * 5 + h) * 5 + w], ours[((o * 5 + h) * 5 + w) * 3 + i]);
        }
      }
    }
  }
}

TEST_F(ZooTest, EveryModelGivesOneRowOfLogitsPerImageForAnyInputItCanTake) {
  const std::vector<ModelInput> inputs = {
      kCifar, {3, 32, 32, 100}, {1, 28, 28, 10}, {3, 25, 27, 2}};
  for (const ModelEntry& e : model_registry()) {
    for (const ModelInput& in : inputs) {
      const auto model = built(e.name, in);
      model->set_training(false);
      NoGradGuard no_grad;
      EXPECT_EQ(model->forward(images(in, 3, 5)).shape(), (Shape{3, in.classes}))
          << e.name << " on " << in.batch_shape(3).to_string();
    }
  }
}

TEST_F(ZooTest, InceptionsStagesHaveThePapersShapes) {
  const auto model = built("inception");
  std::map<std::string, Shape> shapes;
  for (const LayerSummary& row : summarize(*model, kCifar.batch_shape(2))) {
    shapes[row.name] = row.output_shape;
  }
  EXPECT_EQ(shapes.at("features.0.relu"), (Shape{2, 28, 28, 96}));
  EXPECT_EQ(shapes.at("features.2"), (Shape{2, 28, 28, 80}));
  EXPECT_EQ(shapes.at("features.3"), (Shape{2, 14, 14, 160}));
  EXPECT_EQ(shapes.at("features.7"), (Shape{2, 14, 14, 144}));
  EXPECT_EQ(shapes.at("features.8"), (Shape{2, 7, 7, 240}));
  EXPECT_EQ(shapes.at("features.10"), (Shape{2, 7, 7, 336}));
  EXPECT_EQ(shapes.at("pool"), (Shape{2, 1, 1, 336}));
  EXPECT_EQ(shapes.at("classifier"), (Shape{2, 10}));
  // A 32x32 image leaves 8x8 after the stages and 2x2 after the 7x7 pool.
  const auto wide = built("inception", {3, 32, 32, 10});
  EXPECT_EQ(summarize(*wide, Shape{1, 32, 32, 3}).back().input_shape, (Shape{1, 4 * 336}));
}

// The stride-2 stages pad as TensorFlow does: 28 rows -> 14 with 0 padded rows on top and one
// at the bottom (columns alike), where PyTorch's habit (padding=1) pads one on each side.
TEST_F(ZooTest, StrideTwoStagesPadTheBottomAndRightOnlyAsTensorFlowDoes) {
  // The downsample module's conv, with every weight 1 and no bias, counts the real input
  // positions under each window.
  const auto nobn = built("inception-nobn");
  Module& down = dynamic_cast<Inception&>(*nobn).features()[3];
  for (const NamedParameter& p : down.parameters())
    p.tensor.fill_(p.name.ends_with("bias") ? 0 : 1);
  down.set_training(false);
  NoGradGuard no_grad;
  const int64_t c = 80;
  const std::vector<float> y = down(Tensor::full(Shape{1, 28, 28, c}, 1.0)).to_vector<float>();
  const auto conv_at = [&](int64_t r, int64_t col) { return y[(r * 14 + col) * 160]; };
  EXPECT_EQ(conv_at(0, 0), 9 * c);    // rows 0-2, cols 0-2: nothing padded above or left
  EXPECT_EQ(conv_at(0, 13), 6 * c);   // cols 26, 27 and one padded on the right
  EXPECT_EQ(conv_at(13, 0), 6 * c);   // rows 26, 27 and one padded below
  EXPECT_EQ(conv_at(13, 13), 4 * c);  // the bottom-right corner: one padded row and column
  EXPECT_EQ(conv_at(6, 6), 9 * c);

  // The max-pool branch (channels 80..159) over -row: the top window is rows 0-2 (its max is
  // row 0's 0), the bottom one rows 26, 27 and padding that never wins (-26, not 0 or -25).
  std::vector<float> minus_row(28 * 28 * c);
  for (size_t i = 0; i < minus_row.size(); ++i) minus_row[i] = -static_cast<float>(i / (28 * c));
  const std::vector<float> p =
      down(Tensor::from_vector(Shape{1, 28, 28, c}, minus_row)).to_vector<float>();
  const auto pool_at = [&](int64_t r) { return p[(r * 14 + 5) * 160 + c]; };
  EXPECT_EQ(pool_at(0), 0.0f);
  EXPECT_EQ(pool_at(1), -2.0f);  // rows 2-4
  EXPECT_EQ(pool_at(13), -26.0f);

  // AlexNet's stride-2 pools alike: 28 -> 14 pads one row at the bottom.
  const auto alexnet = built("alexnet");
  Module& pool = dynamic_cast<AlexNet&>(*alexnet).features()[2];
  std::vector<float> minus_row64(28 * 28 * 64);
  for (size_t i = 0; i < minus_row64.size(); ++i)
    minus_row64[i] = -static_cast<float>(i / (28 * 64));
  const std::vector<float> q =
      pool(Tensor::from_vector(Shape{1, 28, 28, 64}, minus_row64)).to_vector<float>();
  EXPECT_EQ(q[0], 0.0f);
  EXPECT_EQ(q[(13 * 14) * 64], -26.0f);
}

TEST_F(ZooTest, AFewSgdStepsOfEveryModelLowerTheLossOnAFixedBatch) {
  for (const ModelEntry& e : model_registry()) {
    const auto model = built(e.name, kCifar, 3);
    ParameterSlab slab(model->parameters());
    Sgd sgd(slab, SgdOptions{0.9, 0.0, false});
    const Tensor x = images(kCifar, 4, 11), y = labels(kCifar, 4, 12);
    const double lr = e.name.starts_with("inception") ? 0.02 : 0.01;
    model->set_training(true);
    std::vector<double> losses;
    for (int step = 0; step < 5; ++step) {
      model->set_step(step);
      const Tensor loss = ops::softmax_cross_entropy(model->forward(x), y);
      losses.push_back(loss.item<float>());
      sgd.zero_grad();
      loss.backward();
      sgd.step(lr);
    }
    EXPECT_LT(losses.back(), losses.front()) << e.name << ": " << ::testing::PrintToString(losses);
  }
}

TEST_F(ZooTest, SavingThenLoadingGivesIdenticalLogits) {
  for (const ModelEntry& e : model_registry()) {
    const auto trained = built(e.name, kCifar, 4);
    {
      // Two steps, so that batch norm's running statistics are not their initial ones.
      ParameterSlab slab(trained->parameters());
      Sgd sgd(slab, SgdOptions{});
      for (int step = 0; step < 2; ++step) {
        const Tensor loss = ops::softmax_cross_entropy(
            trained->forward(images(kCifar, 4, 20 + step)), labels(kCifar, 4, 30 + step));
        sgd.zero_grad();
        loss.backward();
        sgd.step(0.01);
      }
    }
    const fs::path path = dir_ / (e.name + ".safetensors");
    save_weights(*trained, path, weights_metadata(e.name, kCifar));
    const auto loaded = built(e.name, kCifar, 5);
    EXPECT_EQ(load_weights(*loaded, path).at("model"), e.name);

    const Tensor x = images(kCifar, 3, 40);
    for (bool training : {false, true}) {
      trained->set_training(training);
      loaded->set_training(training);
      NoGradGuard no_grad;
      EXPECT_EQ(loaded->forward(x).to_vector<float>(), trained->forward(x).to_vector<float>())
          << e.name << (training ? " (training mode)" : " (eval mode)");
    }
  }
}

TEST_F(ZooTest, ALoadedBatchNormContinuesItsBiasCorrection) {
  // Training on after a load moves the running statistics as the saved run's would have.
  const auto straight = built("inception", kCifar, 6);
  const auto resumed = built("inception", kCifar, 7);
  const auto step = [&](Module& m, uint64_t seed) {
    m.set_training(true);
    NoGradGuard no_grad;
    m.forward(images(kCifar, 2, seed));
  };
  step(*straight, 50);
  step(*straight, 51);
  const fs::path path = dir_ / "inception.safetensors";
  save_weights(*straight, path);
  load_weights(*resumed, path);
  step(*straight, 52);
  step(*resumed, 52);
  const auto a = straight->buffers(), b = resumed->buffers();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != BufferKind::kExported) continue;
    if (a[i].tensor.dtype() == DType::kInt32) {  // num_batches_tracked
      EXPECT_EQ(b[i].tensor.to_vector<int32_t>(), std::vector<int32_t>{3}) << a[i].name;
      continue;
    }
    EXPECT_TRUE(test::all_close(as_doubles(b[i].tensor), as_doubles(a[i].tensor), 1e-6, 1e-6))
        << a[i].name;
  }
}

TEST_F(ZooTest, AFileThatDoesNotFitIsRefusedNamingEachTensorAndBothShapes) {
  const fs::path path = dir_ / "mlp.safetensors";
  save_weights(*built("mlp1x512"), path, weights_metadata("mlp1x512", kCifar));
  const auto gray = built("mlp1x512", {1, 28, 28, 10});
  const std::vector<float> before = gray->parameters()[0].tensor.to_vector<float>();
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] { load_weights(*gray, path); },
      {path.string(), "'hidden.0.weight'", "float32 [512, 2352] in the file",
       "float32 [512, 784] in the model", "model 'mlp1x512'", "input 3,28,28"}));
  EXPECT_EQ(gray->parameters()[0].tensor.to_vector<float>(), before)
      << "a refused file changes nothing";

  // A missing tensor, and a conv filter of the wrong shape (named in PyTorch's OIHW).
  auto tensors = weights_tensors(*built("inception"));
  std::erase_if(tensors, [](const auto& t) { return t.first == "features.5.branch1x1.bn.bias"; });
  for (auto& [name, t] : tensors) {
    if (name == "features.0.conv.weight") t = Tensor::zeros(Shape{96, 1, 3, 3});
  }
  SafetensorsFile file = decode_safetensors(encode_safetensors(tensors), "edited.safetensors");
  const auto model = built("inception");
  EXPECT_TRUE(test::throws_with<UserError>(
      [&] { load_weights(*model, file, "edited.safetensors"); },
      {"edited.safetensors", "2 problems", "'features.5.branch1x1.bn.bias' is missing",
       "float32 [96]", "'features.0.conv.weight' is float32 [96, 1, 3, 3] in the file",
       "float32 [96, 3, 3, 3] in the model (OIHW, as PyTorch)"}));

  // A file from a newer format.
  file = decode_safetensors(encode_safetensors(weights_tensors(*model), {{"format_version", "2"}}),
                            "new.safetensors");
  EXPECT_TRUE(test::throws_with<UserError>([&] { load_weights(*model, file, "new.safetensors"); },
                                           {"new.safetensors", "format_version '2'"}));
}

TEST_F(ZooTest, AnImageTooSmallIsRefusedByTheLayerWhereTheSpatialSizeRunsOut) {
  for (const char* name : {"inception", "inception-nobn"}) {
    const auto model = built(name, {3, 8, 8, 10});
    // 8x8 -> 4x4 -> 2x2: the 7x7 mean pool no longer fits.
    EXPECT_TRUE(test::throws_with<UserError>(
        [&] {
          model->forward(images({3, 8, 8, 10}, 2, 1));
        },
        {"AvgPool2d 'pool'", "[2, 2, 2, 336]", "7x7", "2x2", "larger input images"}))
        << name;
    EXPECT_TRUE(test::throws_with<UserError>(
        [&] {
          summarize(*model, Shape{1, 8, 8, 3});
        },
        {"AvgPool2d 'pool'"}));
  }
  // 25 rows leave 7 after the stages; 24 leave 6.
  NoGradGuard no_grad;
  EXPECT_EQ(built("inception", {3, 25, 25, 10})->forward(images({3, 25, 25, 10}, 1, 2)).shape(),
            (Shape{1, 10}));
  EXPECT_THROW(built("inception", {3, 24, 25, 10})->forward(images({3, 24, 25, 10}, 1, 2)),
               UserError);
}

TEST_F(ZooTest, DropoutGoesRightBeforeEachModelsClassifierAndRenamesNothing) {
  for (const ModelEntry& e : model_registry()) {
    ModelInput with = kCifar;
    with.dropout = 0.5;
    const auto plain = built(e.name, kCifar, 8);
    const auto dropped = built(e.name, with, 8);
    const auto a = plain->parameters(), b = dropped->parameters();
    ASSERT_EQ(a.size(), b.size()) << e.name;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name) << e.name;
      EXPECT_EQ(a[i].tensor.to_vector<float>(), b[i].tensor.to_vector<float>())
          << e.name << ": dropout changed " << a[i].name << "'s initial weights";
    }

    const std::vector<LayerSummary> rows = summarize(*dropped, kCifar.batch_shape(1));
    ASSERT_GE(rows.size(), 2u);
    EXPECT_EQ(rows.back().name, "classifier") << e.name;
    EXPECT_EQ(rows[rows.size() - 2].type, "Dropout") << e.name;
    EXPECT_EQ(rows[rows.size() - 2].name, "dropout") << e.name;
    size_t dropouts = 0;
    for (const LayerSummary& row : rows) dropouts += row.type == "Dropout";
    EXPECT_EQ(dropouts, 1u) << e.name;
    for (const LayerSummary& row : summarize(*plain, kCifar.batch_shape(1))) {
      EXPECT_NE(row.type, "Dropout") << e.name << ": no dropout unless asked for";
    }

    // Eval mode: the identity, so both models agree; training mode: it drops.
    const Tensor x = images(kCifar, 2, 9);
    NoGradGuard no_grad;
    plain->set_training(false);
    dropped->set_training(false);
    EXPECT_EQ(dropped->forward(x).to_vector<float>(), plain->forward(x).to_vector<float>())
        << e.name;
    if (!e.name.starts_with("inception")) {  // batch norm moves too; the MLPs and AlexNet do not
      plain->set_training(true);
      dropped->set_training(true);
      EXPECT_NE(dropped->forward(x).to_vector<float>(), plain->forward(x).to_vector<float>())
          << e.name;
    }
  }
}

TEST_F(ZooTest, AFloat64CopyOfAModelComputesWhatItsFloat32SelfDoes) {
  for (const char* name : {"inception", "alexnet"}) {
    const auto single = built(name, kCifar, 10);
    const auto twice = built(name, kCifar, 10);
    twice->to_dtype(DType::kFloat64);
    for (const NamedParameter& p : twice->parameters()) {
      ASSERT_EQ(p.tensor.dtype(), DType::kFloat64) << p.name;
    }
    const Tensor x = images(kCifar, 2, 13);
    Tensor x64 = x.clone();
    x64.retype_(DType::kFloat64);
    NoGradGuard no_grad;
    const std::vector<double> y32 = as_doubles(single->forward(x));
    const std::vector<double> y64 = as_doubles(twice->forward(x64));
    EXPECT_TRUE(test::all_close(y32, y64, 1e-4, 1e-4)) << name;
    // The training forward moved batch norm's statistics in float64 too.
    for (const NamedBuffer& b : twice->buffers()) {
      if (b.name.ends_with("running_mean")) {
        EXPECT_EQ(b.tensor.dtype(), DType::kFloat64) << b.name;
      }
    }
  }
}

}  // namespace
}  // namespace rethink
