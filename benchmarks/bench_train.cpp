// bench_train: training speed (iterations/s, images/s) of the detector on synthetic images, one image per
// iteration as the original trains: forward, the original's losses, backward and the Caffe SGD step.
// A benchmark, never a test.
#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "bua/config/arch.h"
#include "bua/model/device.h"
#include "bua/train/autocast.h"
#include "bua/train/detector_loss.h"
#include "bua/train/solver.h"
#include "bua/train/weight_init.h"
#include "bua/util/random.h"
#include "bua/util/tool_main.h"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// A drawn training image: a few filled rectangles of random classes and colours.
bua::TrainingBlob drawn(int k, int w, int h, const bua::ArchConfig& arch, const bua::Config& cfg, bua::Rng& rng) {
  cv::Mat im(h, w, CV_8UC3, cv::Scalar(90, 110, 130));
  // Uniform in [lo, hi], through the one portable draw (util/random.h).
  auto between = [&](int lo, int hi) { return lo + static_cast<int>(bua::uniform_below(rng, static_cast<uint64_t>(hi - lo + 1))); };
  auto x = [&] { return between(0, w - w / 4); };
  auto y = [&] { return between(0, h - h / 4); };
  auto s = [&] { return between(w / 12, w / 4); };
  auto cls = [&] { return between(1, arch.num_classes - 1); };
  auto attr = [&] { return between(1, arch.num_attributes - 1); };
  std::vector<float> boxes;
  std::vector<int64_t> classes, attrs;
  for (int i = 0; i < 2 + k % 4; ++i) {
    const int x1 = x(), y1 = y(), bw = s(), bh = s();
    cv::rectangle(im, cv::Rect(x1, y1, bw, bh), cv::Scalar(rng() % 255, rng() % 255, rng() % 255), cv::FILLED);
    boxes.insert(boxes.end(), {float(x1), float(y1), float(std::min(x1 + bw, w - 1)), float(std::min(y1 + bh, h - 1))});
    classes.push_back(cls());
    std::vector<int64_t> a(16, 0);
    a[0] = attr();
    attrs.insert(attrs.end(), a.begin(), a.end());
  }
  return bua::prepare_training_blob(im, k % 2 == 1, torch::tensor(boxes).view({-1, 4}), torch::tensor(classes),
                                    torch::tensor(attrs).view({-1, 16}), cfg, rng);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark training", "bench_train"};
  std::string arch_path = "configs/resnet101_vg.yml", device = "cpu", dtype = "fp32", cfg_path = "experiments/cfgs/faster_rcnn_end2end_resnet.yml";
  int iterations = 20, warmup = 3, width = 800, height = 600;
  app.add_option("--arch", arch_path)->capture_default_str();
  app.add_option("--cfg", cfg_path)->capture_default_str();
  app.add_option("--device", device)->capture_default_str();
  app.add_option("--dtype", dtype, "fp32 | bf16 (mixed precision, as train_net --dtype)")->capture_default_str();
  app.add_option("--iterations", iterations)->capture_default_str();
  app.add_option("--warmup", warmup)->capture_default_str();
  app.add_option("--width", width)->capture_default_str();
  app.add_option("--height", height)->capture_default_str();
  return bua::tool_main(app, argc, argv, [&] {
    const torch::Device dev = bua::parse_device(device);
    const torch::ScalarType compute = bua::parse_dtype(dtype);
    bua::use_exact_float32();
    bua::setup_cpu_runtime();
    const bua::Config cfg = bua::load_config({cfg_path});
    const auto arch = bua::load_arch(arch_path);
    bua::Detector det(arch);
    bua::init_head_weights(det, 1);
    det->to(dev);
    det->train();
    bua::CaffeSgd sgd(bua::learnable_parameters(det), bua::SolverConfig());
    bua::Rng rng = bua::make_rng({1});
    double t_data = 0, t_step = 0;
    for (int it = 0; it < warmup + iterations; ++it) {
      if (it == warmup) t_data = t_step = 0;
      double t = now();
      const auto blob = drawn(it, width, height, arch, cfg, rng);
      t_data += now() - t;
      t = now();
      sgd.zero_grad();
      bua::LossTerms loss;
      {
        bua::AutocastScope amp(dev, compute);
        loss = bua::detector_losses(det, blob, cfg.TRAIN, rng);
      }
      loss.total().backward();
      sgd.step(it);
      if (dev.is_cuda()) torch::cuda::synchronize(dev.index());
      t_step += now() - t;
    }
    std::cout << "device " << device << ", " << arch.name << ", " << width << "x" << height << " images at TRAIN.SCALES "
              << cfg.TRAIN.SCALES[0] << ", " << dtype << ", torch threads " << torch::get_num_threads() << "\n"
              << "per iteration: data " << 1000 * t_data / iterations << " ms, forward+backward+update "
              << 1000 * t_step / iterations << " ms\n"
              << "iterations/s " << iterations / (t_data + t_step) << " = images/s (1 image per iteration)\n";
    return 0;
  });
}
