// bench_roi_pool: Caffe ROI pooling at inference on the CPU, on the full network's res4 shape (1024 channels,
// 38x54 for an 868x600 photo) and 300 proposals of spread sizes, in float32 and bf16. A benchmark, never a test.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "bua/model/device.h"
#include "bua/ops/roi_pool.h"
#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Benchmark ROI pooling on the CPU", "bench_roi_pool"};
  int64_t rois = 300, height = 38, width = 54, channels = 1024;
  int reps = 5;
  app.add_option("--rois", rois)->capture_default_str();
  app.add_option("--reps", reps)->capture_default_str();
  return bua::tool_main(app, argc, argv, [&] {
    bua::setup_cpu_runtime();
    torch::NoGradGuard ng;
    torch::manual_seed(0);
    const auto features = torch::randn({1, channels, height, width});
    // Boxes in blob pixels (stride 16): centres anywhere, sides from 32 px to the whole image.
    const double W = width * 16.0, H = height * 16.0;
    const auto cx = torch::rand({rois}) * W, cy = torch::rand({rois}) * H;
    const auto bw = 32 + torch::rand({rois}) * (W - 32), bh = 32 + torch::rand({rois}) * (H - 32);
    const auto r = torch::stack({torch::zeros({rois}), (cx - bw / 2).clamp(0, W - 1), (cy - bh / 2).clamp(0, H - 1),
                                 (cx + bw / 2).clamp(0, W - 1), (cy + bh / 2).clamp(0, H - 1)}, 1);
    std::cout << "torch threads " << torch::get_num_threads() << ", " << rois << " ROIs on [1," << channels << ","
              << height << "," << width << "]\n";
    for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
      const auto f = features.to(dtype);
      std::vector<double> ms;
      for (int i = 0; i < reps + 1; ++i) {
        const auto t = std::chrono::steady_clock::now();
        const auto out = bua::roi_pool(f, r, 14, 1.0 / 16);
        const double d = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
        if (i > 0) ms.push_back(d);  // the first call warms up
      }
      std::sort(ms.begin(), ms.end());
      std::cout << (dtype == torch::kFloat ? "fp32" : "bf16") << " roi_pool: median " << ms[ms.size() / 2]
                << " ms, min " << ms.front() << " ms\n";
    }
    return 0;
  });
}
