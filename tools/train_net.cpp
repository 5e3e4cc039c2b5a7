// train_net: end-to-end training of the detector with attributes on a Visual Genome split, as the original
// tools/train_net_multi_gpu.py. One process per GPU (or CPU process) started torchrun-style; see README.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "bua/config/cli.h"
#include "bua/data/vg_dataset.h"
#include "bua/dist/gradient_averager.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/train/initial_model.h"
#include "bua/train/train_keys.h"
#include "bua/train/trainer.h"
#include "bua/train/vg_feed.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/tool_main.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{"Train the bottom-up-attention detector on Visual Genome", "train_net"};
  bua::ConfigFlags config_flags(app);
  std::string imdb, data_dir = "data", weights, arch, resume, output, solver = "experiments/solvers/faster_rcnn_end2end_final.yml",
              device = "cpu", cache_dir, dtype = "fp32";
  int64_t iters = 0;
  bool from_scratch = false, batch_norm = false;
  std::string scratch_init = "torch";
  app.add_option("--imdb", imdb, "dataset: vg_<version>_<split> under --data-dir, or a split file")->required();
  app.add_option("--data-dir", data_dir, "data root (genome/, vg/)")->capture_default_str();
  app.add_option("--weights", weights, "initial weights: a checkpoint (e.g. import_caffemodel --trunk-only)")
      ->check(CLI::ExistingFile);
  app.add_option("--arch", arch, "architecture file (default: that of --weights)")->check(CLI::ExistingFile);
  app.add_flag("--from-scratch", from_scratch,
               "allow starting from random weights (needs --arch); then conv1, res2 and res3 train too");
  app.add_option("--scratch-init", scratch_init, "torch (LibTorch's defaults) | he (He-normal, scaled residual branches; without --batch-norm it wants a lower base_lr)")
      ->check(CLI::IsMember({"he", "torch"}))->capture_default_str();
  app.add_flag("--batch-norm", batch_norm,
               "train the frozen BatchNorm+Scale layers as BatchNorms on batch statistics (for --from-scratch); "
               "snapshots hold the folded affine, as released models do");
  app.add_option("--resume", resume,
                 "snapshot to continue from (weights, momentum, iteration; frozen layers and batch statistics as it had)")->check(CLI::ExistingFile);
  app.add_option("--iters", iters, "iterations in all (the original: 380000)")->required();
  app.add_option("--solver", solver, "solver file")->capture_default_str();
  app.add_option("--output", output, "snapshot folder (default: output/<EXP_DIR>/<imdb>)");
  app.add_option("--device", device, "cpu | cuda (each process uses cuda:LOCAL_RANK when WORLD_SIZE > 1)")->capture_default_str();
  app.add_option("--dtype", dtype, "fp32 | bf16 (mixed precision: bf16 forward pass, float32 weights and solver)")
      ->capture_default_str();
  app.add_option("--cache-dir", cache_dir, "where the dataset cache goes (default: <data-dir>/cache)");
  return bua::tool_main(app, argc, argv, [&] {
    const bua::Config cfg = config_flags.load();
    const bua::DistEnv env = bua::dist_env_from_environment();
    if (env.rank == 0) std::cerr << "Using config:\n" << bua::to_yaml(cfg) << "\n";
    bua::check_train_config(cfg);  // before the dataset loads: a refused TRAIN value fails at once
    if (weights.empty() && resume.empty() && !from_scratch)
      bua::fail("train_net", "give --weights (e.g. the ImageNet ResNet-101 via import_caffemodel --trunk-only), "
                             "--resume, or --from-scratch with --arch");
    if (from_scratch && arch.empty() && weights.empty()) bua::fail("--from-scratch", "needs --arch");
    if (batch_norm && !from_scratch && resume.empty())
      bua::fail("--batch-norm", "is for --from-scratch (it replaces every trained affine by fresh statistics)");
    torch::Device dev = bua::parse_device(device);
    bua::setup_cpu_runtime(env.world_size);  // ranks on one machine share its cores
    dev = bua::device_of_rank(dev, env);
    bua::use_device(dev);  // before NCCL sets up its communicator on this rank's GPU

    bua::VgLoadOptions lo;
    lo.cache_dir = cache_dir.empty() ? (fs::path(data_dir) / "cache").string() : cache_dir;
    lo.progress = env.rank == 0;
    lo.size_from_image = true;  // boxes are clipped to the image file's size, as the original's roidb does
    const bua::VgDataset data = bua::load_vg_dataset(bua::resolve_vg_dataset(imdb, data_dir), lo);
    bua::log_info(imdb + ": " + std::to_string(data.records.size()) + " images with objects");
    if (data.report.size_mismatches > 0)
      bua::log_warn(imdb + ": " + std::to_string(data.report.size_mismatches) +
                    " images whose XML <size> differs from the image file; their boxes follow the image");

    bua::TrainOptions o;
    o.max_iterations = iters;
    o.solver = bua::load_solver_config(solver);
    o.seed = static_cast<uint64_t>(cfg.RNG_SEED);
    o.rank = env.rank;
    o.world_size = env.world_size;
    o.freeze_bottom = !from_scratch;
    if (batch_norm) o.batch_norm_momentum = 0.1;
    o.compute_dtype = bua::parse_dtype(dtype);
    o.output_dir = output.empty() ? bua::get_output_dir(cfg, imdb) : output;
    bua::InitialModelOptions init;
    init.weights = weights;
    init.arch = arch;
    init.from_scratch = from_scratch;
    init.he_init = scratch_init == "he";
    init.seed = o.seed;
    const bua::Checkpoint start =
        resume.empty() ? bua::initial_training_model(init, data.vocab.classes.names(), data.vocab.attributes.names())
                       : bua::load_checkpoint(resume);
    if (!resume.empty() && static_cast<int64_t>(start.classes.size()) != static_cast<int64_t>(data.vocab.classes.size()))
      bua::fail(resume, "its class vocabulary does not match " + imdb);

    std::unique_ptr<bua::GradientAverager> averager;
    if (env.active()) averager = std::make_unique<bua::GradientAverager>(env, dev.is_cuda() ? "nccl" : "gloo");
    const bua::VgTrainingFeed feed(data, cfg, o.seed, static_cast<int64_t>(env.world_size) * cfg.TRAIN.IMS_PER_BATCH);
    const auto final_snapshot = bua::train_detector(
        start, cfg, [&](int64_t it, int64_t slot, bua::Rng& rng) { return feed.blob(it, slot, rng); }, o,
        averager.get(), dev);
    if (feed.size_mismatches() > 0)
      bua::log_warn(std::to_string(feed.size_mismatches()) + " training images decoded at another size than their "
                                                             "annotation; their boxes were clipped to the image");
    if (averager) averager->barrier();
    if (env.rank == 0) std::cout << "done solving; final snapshot: " << final_snapshot << "\n";
    return 0;
  });
}
