#include "experiments/fit_options.h"

#include <set>

#include "experiments/validators.h"

namespace rethink {

double default_lr(std::string_view model) { return model.starts_with("inception") ? 0.1 : 0.01; }

void add_fit_flags(CLI::App& app, FitOptions& o) {
  using cli::fraction;
  using cli::non_negative;
  using cli::positive;
  app.add_option("--model", o.model, "Model from the zoo (rethink models lists them)")
      ->capture_default_str();
  app.add_option("--data", o.data,
                 "Data source: fashion-mnist (Debian's dataset-fashion-mnist), idx:DIR, "
                 "cifar10:DIR, imagefolder:DIR ({train,test}/<class>/*.jpg|png) or "
                 "synthetic:N,C,H,W,K")
      ->capture_default_str();
  app.add_option("--subset", o.subset.train, "Train on N training images (0: all of them)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--subset-mode", o.subset.mode,
                 "first (the first N) or balanced (a seeded pick, N / classes of each class)")
      ->check(CLI::IsMember({"first", "balanced"}))
      ->capture_default_str();
  app.add_option("--test-subset", o.subset.test, "Test on the first M test images (0: all)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "Epochs in all (a resumed run continues to this total)")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--batch", o.batch, "Minibatch size")->check(positive())->capture_default_str();
  app.add_option("--lr", o.lr,
                 "Initial learning rate [default: 0.1 for inception*, 0.01 otherwise, as the "
                 "paper]")
      ->check(positive());
  app.add_option("--lr-schedule", o.lr_schedule, "constant, exponential or step")
      ->check(CLI::IsMember({"constant", "exponential", "step"}))
      ->capture_default_str();
  app.add_option("--lr-decay", o.lr_decay,
                 "Factor per epoch (exponential) or per --lr-step-epochs (step)")
      ->check(fraction())
      ->capture_default_str();
  app.add_option("--lr-decay-images", o.lr_decay_images,
                 "Images per decay epoch (default: the full training set's size, even when "
                 "training on a subset)")
      ->check(non_negative());
  app.add_option("--lr-step-epochs", o.lr_step_epochs, "Epochs between decays (step schedule)")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--momentum", o.momentum, "SGD momentum")
      ->check(fraction())
      ->capture_default_str();
  app.add_flag("--nesterov", o.nesterov, "Use Nesterov momentum");
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay on weights (not biases)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--dropout", o.dropout,
                 "Dropout probability before the classifier (0: no dropout layer, as the "
                 "paper's CIFAR-10 runs)")
      ->check(CLI::Validator(
          [](std::string& t) {
            const std::string why = cli::fraction()(t);
            if (!why.empty()) return why;
            return std::stod(t) < 1 ? std::string() : std::string("must be below 1, got " + t);
          },
          "in [0, 1)", "DROPOUT"))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Seed for data, initialization and shuffling")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads for OpenMP and OpenBLAS (0: all cores)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--math", o.math,
                 "fp32, or tf32 (lets cuBLAS and cuDNN use TF32 on the GPU; the CPU always "
                 "computes in fp32); recorded in config.json")
      ->check(CLI::IsMember({"fp32", "tf32"}))
      ->capture_default_str();
  app.add_option("--conv-engine", o.conv_engine,
                 "ours, or cudnn (convolution and batch norm through cuDNN on the GPU: the "
                 "reference our kernels are ranked against); the CPU always runs ours")
      ->check(CLI::IsMember({"ours", "cudnn"}))
      ->capture_default_str();
  app.add_flag("--until-fit", o.until_fit,
               "Stop once the whole training set is fit (see --fit-threshold)");
  app.add_option("--fit-threshold", o.fit_threshold,
                 "Training accuracy (eval mode, whole training split) that counts as fit")
      ->check(fraction())
      ->capture_default_str();
  app.add_option("--eval-batch", o.eval_batch, "Batch size for evaluation passes")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--eval-every", o.eval_every,
                 "Evaluate the whole training and test splits every N epochs (and after the "
                 "last); --until-fit notices a fit at these evaluations")
      ->check(positive())
      ->capture_default_str();
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "Checkpoint every N epochs (0: only at the end and on Ctrl-C)")
      ->check(non_negative())
      ->capture_default_str();
  app.add_option("--randomize", o.randomize,
                 "Randomization test: none, partial-labels, random-labels, shuffled-pixels, "
                 "random-pixels or gaussian (fixed once from --seed)")
      ->check(CLI::IsMember({"none", "partial-labels", "random-labels", "shuffled-pixels",
                             "random-pixels", "gaussian"}))
      ->capture_default_str();
  app.add_option("--corrupt-prob", o.corrupt_prob,
                 "partial-labels: probability that a label is redrawn uniformly")
      ->check(fraction());
  app.add_flag("--corrupt-test", o.corrupt_test,
               "Corrupt the test labels too (label randomizations; default: training only)");
  app.add_option("--augment", o.augment,
                 "Training augmentation: none, or a comma-separated list of crop, flip, color "
                 "(brightness and contrast), brightness, contrast, rotate")
      ->capture_default_str();
  app.add_option("--progress", o.progress,
                 "auto (a progress bar on a terminal, lines otherwise), bar, lines or quiet")
      ->check(CLI::IsMember({"auto", "bar", "lines", "quiet"}))
      ->capture_default_str();
  app.add_flag("--profile", o.profile,
               "Time each phase of the steps (data, forward, backward, update) and the "
               "evaluations, count device launches per step, and report peak host and device "
               "memory: in summary.json's \"profile\" and printed at the end (on a GPU each "
               "phase ends with a synchronization)");
  app.add_option("--out", o.out, "Run directory (default: runs/fit-<model>-<UTC time>)");
  app.add_flag("--overwrite", o.overwrite, "Reuse a run directory that already holds a run");
  app.add_option("--config", o.config,
                 "Read flags from a JSON file ({\"model\": \"alexnet\", \"epochs\": 30}, or a "
                 "run's config.json); flags on the command line override it");
  app.add_option("--resume", o.resume,
                 "Continue the run in this directory from its last checkpoint to --epochs in "
                 "all, appending to its metrics");
}

nlohmann::json flags_json(const FitOptions& o) {
  return {{"model", o.model},
          {"data", o.data},
          {"subset", o.subset.train},
          {"subset-mode", o.subset.mode},
          {"test-subset", o.subset.test},
          {"epochs", o.epochs},
          {"batch", o.batch},
          {"lr", o.lr > 0 ? o.lr : default_lr(o.model)},
          {"lr-schedule", o.lr_schedule},
          {"lr-decay", o.lr_decay},
          {"lr-decay-images", o.lr_decay_images},
          {"lr-step-epochs", o.lr_step_epochs},
          {"momentum", o.momentum},
          {"nesterov", o.nesterov},
          {"weight-decay", o.weight_decay},
          {"dropout", o.dropout},
          {"seed", o.seed},
          {"threads", o.threads},
          {"device", o.device},
          {"math", o.math},
          {"conv-engine", o.conv_engine},
          {"until-fit", o.until_fit},
          {"fit-threshold", o.fit_threshold},
          {"eval-batch", o.eval_batch},
          {"eval-every", o.eval_every},
          {"checkpoint-every", o.checkpoint_every},
          {"randomize", o.randomize},
          {"corrupt-prob", o.corrupt_prob >= 0 ? nlohmann::json(o.corrupt_prob) : nlohmann::json()},
          {"corrupt-test", o.corrupt_test},
          {"augment", o.augment}};
}

bool fixed_on_resume(std::string_view flag) {
  static const std::set<std::string, std::less<>> kFree = {
      "epochs",     "threads",    "device",           "until-fit", "fit-threshold",
      "eval-every", "eval-batch", "checkpoint-every", "progress"};
  return !kFree.contains(flag);
}

}  // namespace rethink
