// bench_extract: feature-extraction speed, end to end (JPEG decode → TSV row written) and per stage, with the
// full-size ResNet-101 network (random weights unless --net is given) on synthetic or given images.
// Also measures how far bf16 features are from fp32 ones (cosine, same boxes). A benchmark, never a test.
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "bua/config/arch.h"
#include "bua/config/config.h"
#include "bua/features/job.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/model/inference.h"
#include "bua/io/npy.h"
#include "bua_bench_paths.h"
#include "bua/ops/nms.h"
#include "bua/util/tool_main.h"

namespace fs = std::filesystem;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void sync(const torch::Device& d) {
  if (d.is_cuda()) torch::cuda::synchronize(d.index());
}

// Deterministic He-style initialisation: activations keep their scale through the 101 layers.
void init_random(bua::Detector& det, int seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard ng;
  for (auto& p : det->named_parameters()) {
    if (p.value().dim() == 4) {
      const double fan_in = p.value().size(1) * p.value().size(2) * p.value().size(3);
      p.value().normal_(0, std::sqrt(2.0 / fan_in));
    } else if (p.value().dim() == 2) {
      p.value().normal_(0, 1.0 / std::sqrt(static_cast<double>(p.value().size(1))));
    } else {
      p.value().zero_();
    }
  }
  // Residual branches enter the sum scaled down, as a trained ResNet's last BatchNorm does, so activations
  // stay O(1) through the 33 blocks instead of growing ~1.4x per block.
  for (auto& b : det->named_buffers())
    if (b.key().find("branch2c.scale") != std::string::npos) b.value().fill_(0.2);
  // Output layers as the original initialises them: small scores and deltas, so proposals spread over the image.
  // The objectness must vary with the image more than with the anchor shape, or the top scores all go to one
  // anchor size and NMS leaves a few dozen proposals instead of the 300 a trained RPN gives.
  det->rpn->cls_score->weight.normal_(0, 1.0);
  det->rpn->bbox_pred->weight.normal_(0, 0.001);
  det->box_head->cls_score->weight.normal_(0, 0.01);
  det->box_head->bbox_pred->weight.normal_(0, 0.001);
}

std::vector<bua::ImageEntry> synthetic_images(const fs::path& dir, int n, int w, int h) {
  fs::create_directories(dir);
  std::vector<bua::ImageEntry> out;
  cv::RNG rng(7);
  for (int i = 0; i < n; ++i) {
    cv::Mat im(h, w, CV_8UC3);
    rng.fill(im, cv::RNG::UNIFORM, 0, 255);
    cv::GaussianBlur(im, im, cv::Size(0, 0), 6);
    for (int k = 0; k < 6; ++k)
      cv::circle(im, cv::Point(rng.uniform(0, w), rng.uniform(0, h)), rng.uniform(10, h / 3),
                 cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)), cv::FILLED);
    const auto path = (dir / (std::to_string(i) + ".jpg")).string();
    cv::imwrite(path, im, {cv::IMWRITE_JPEG_QUALITY, 90});
    out.push_back({path, std::to_string(i)});
  }
  return out;
}

void write_float_npy(const fs::path& path, const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  const float* p = c.data_ptr<float>();
  bua::write_npy(path.string(), bua::NpyArray::from(std::vector<float>(p, p + c.numel()), c.sizes().vec()));
}

// One image's inputs and our pool5, for the eager reference.
struct EagerCase {
  torch::Tensor blob, rois, pool5;
  double ours_ms = 0;  // our trunk + RPN and proposals + ROI pooling + res5 and heads, mean per image
};

// Runs benchmarks/eager_reference.py (the same network in eager PyTorch, on the same checkpoint, blob and ROIs,
// same device and thread count) and prints its stage times, the ratio to ours, and how far its pool5 is from ours.
void run_eager_reference(const std::string& python, const fs::path& work, const std::string& net,
                         const std::string& dname, const std::string& device, const EagerCase& c) {
  const fs::path dir = work / ("eager_" + dname);
  fs::create_directories(dir);
  write_float_npy(dir / "blob.npy", c.blob);
  write_float_npy(dir / "rois.npy", c.rois);
  write_float_npy(dir / "pool5.npy", c.pool5);
  const fs::path result = dir / "result.json";
  fs::remove(result);
  auto q = [](const fs::path& p) { return "'" + p.string() + "'"; };
  const std::string cmd = python + " " + q(BUA_EAGER_REFERENCE_SCRIPT) + " --net " + q(net) + " --blob " +
                          q(dir / "blob.npy") + " --rois " + q(dir / "rois.npy") + " --ours " + q(dir / "pool5.npy") +
                          " --dtype " + dname + " --device " + device + " --threads " +
                          std::to_string(torch::get_num_threads()) + " --json " + q(result);
  if (std::system(cmd.c_str()) != 0 || !fs::exists(result)) {
    std::cout << dname << " eager PyTorch reference: did not run (" << cmd << ")\n";
    return;
  }
  std::ifstream in(result);
  const auto j = nlohmann::json::parse(in);
  const double eager = j.at("total").get<double>();
  std::cout << dname << " eager PyTorch reference, one image, " << c.rois.size(0) << " ROIs (ms): trunk "
            << j.at("trunk").get<double>() << ", rpn " << j.at("rpn").get<double>() << ", roi pool "
            << j.at("roi pool").get<double>() << ", res5+heads " << j.at("res5+heads").get<double>() << ", network "
            << eager << " vs ours " << c.ours_ms << " (mean per image, incl. proposals): " << eager / c.ours_ms << "x\n";
  std::cout << dname << " eager vs ours pool5: cosine min " << j.at("cosine_min").get<double>() << ", max |diff| "
            << j.at("max_abs_diff").get<double>() << " (max |value| " << j.at("max_abs").get<double>() << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark feature extraction", "bench_extract"};
  std::string arch_path = "configs/resnet101_vg.yml", net, device = "cpu", dtypes = "fp32,bf16", image_dir, work = "bench_out";
  int n = 32, width = 640, height = 480, decode_threads = 8, warmup = 4;
  int64_t batch = 8;
  bool no_eager = false;
  std::string cudnn_benchmark = "auto";
  std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  int64_t rois_per_chunk = 0;
  app.add_option("--arch", arch_path, "architecture for random weights")->capture_default_str();
  app.add_option("--net", net, "checkpoint instead of random weights");
  app.add_option("--device", device)->capture_default_str();
  app.add_option("--dtypes", dtypes, "comma list of fp32, bf16")->capture_default_str();
  app.add_option("--images", n, "synthetic images")->capture_default_str();
  app.add_option("--width", width)->capture_default_str();
  app.add_option("--height", height)->capture_default_str();
  app.add_option("--image-dir", image_dir, "real images instead of synthetic ones");
  app.add_option("--batch-images", batch)->capture_default_str();
  app.add_option("--decode-threads", decode_threads)->capture_default_str();
  app.add_option("--warmup", warmup, "images run first, untimed")->capture_default_str();
  app.add_option("--work-dir", work)->capture_default_str();
  app.add_option("--rois-per-chunk", rois_per_chunk, "ROIs per res5 pass instead of the device's default");
  app.add_option("--python", python, "Python with torch and torchvision, for the eager reference")->capture_default_str();
  app.add_flag("--no-eager", no_eager, "skip the eager PyTorch reference");
  app.add_option("--cudnn-benchmark", cudnn_benchmark,
                 "cuDNN's algorithm timing per input shape, as generate_tsv: auto (bf16 only), off")
      ->check(CLI::IsMember({"auto", "off"}))
      ->capture_default_str();
  return bua::tool_main(app, argc, argv, [&] {
    const torch::Device dev = bua::parse_device(device);
    bua::use_exact_float32();
    bua::setup_cpu_runtime();
    at::globalContext().setFlushDenormal(true);
    fs::create_directories(work);
    auto entries = image_dir.empty() ? synthetic_images(fs::path(work) / "images", n, width, height)
                                     : bua::list_image_dir(image_dir);
    bua::Checkpoint ckpt;
    if (net.empty()) {
      ckpt.arch = bua::load_arch(arch_path);
      bua::Detector d(ckpt.arch);
      init_random(d, 1);
      ckpt.state = bua::state_of(*d);
      for (int i = 0; i < ckpt.arch.num_classes; ++i) ckpt.classes.push_back("class" + std::to_string(i));
      for (int i = 0; i < ckpt.arch.num_attributes; ++i) ckpt.attributes.push_back("attr" + std::to_string(i));
      net = (fs::path(work) / "random.pt").string();
      bua::save_checkpoint(ckpt, net);
    }
    std::cout << "device " << device << ", " << entries.size() << " images, batch " << batch << ", decode threads "
              << decode_threads << ", torch threads " << torch::get_num_threads() << "\n";
    const bua::Config cfg;  // config.py defaults: TEST.SCALES 600, MAX_SIZE 1000
    std::map<std::string, torch::Tensor> fp32_feats, fp32_boxes;

    std::stringstream ds(dtypes);
    std::string dname;
    while (std::getline(ds, dname, ',')) {
      const auto dtype = bua::parse_dtype(dname);
      bua::use_cudnn_policy(dtype, cudnn_benchmark);
      auto model = bua::load_model(net, dev);
      bua::ExtractOptions x = bua::extract_options(cfg);
      bua::prepare_for_inference(model.detector, dtype, x.inference);
      if (rois_per_chunk > 0) x.inference.max_rois_per_chunk = rois_per_chunk;

      // Per-stage breakdown on the first images, one image at a time for the trunk, batched heads.
      {
        torch::NoGradGuard ng;
        const int m = std::min<int>(static_cast<int>(entries.size()), 16);
        double t_decode = 0, t_trunk = 0, t_rpn = 0, t_pool = 0, t_heads = 0, t_select = 0;
        int64_t proposals_seen = 0;
        EagerCase eager;
        for (int rep = 0; rep < 2; ++rep) {  // first pass warms up
          t_decode = t_trunk = t_rpn = t_pool = t_heads = t_select = 0;
          std::vector<torch::Tensor> pooled;
          std::vector<bua::PreparedImage> ims;
          std::vector<torch::Tensor> all_boxes;
          for (int i = 0; i < m; ++i) {
            double t = now();
            ims.push_back(bua::prepare_image(bua::read_image(entries[i].path), x.pixel_means, x.target_size, x.max_size));
            t_decode += now() - t;
            t = now();
            auto blob = ims.back().blob.to(dev, dtype);
            if (x.inference.channels_last) blob = blob.contiguous(torch::MemoryFormat::ChannelsLast);
            const auto f = model.detector->features(blob);
            sync(dev);
            t_trunk += now() - t;
            t = now();
            const auto r = model.detector->rpn->forward(f);
            const auto p = model.detector->propose(r, ims.back().blob_h(), ims.back().blob_w(), ims.back().scale,
                                                   x.inference.proposals);
            sync(dev);
            t_rpn += now() - t;
            t = now();
            const auto rois = bua::with_batch_index(p.boxes);
            pooled.push_back(model.detector->pool(f, rois));
            all_boxes.push_back(p.boxes);
            sync(dev);
            t_pool += now() - t;
            if (i == 0) eager.blob = ims.back().blob, eager.rois = rois;
          }
          double t = now();
          std::vector<torch::Tensor> cls_prob;  // per image
          if (x.inference.chunk_within_image) {
            for (const auto& p : pooled) {
              const auto h = bua::run_heads(model.detector, p, x.inference);
              if (cls_prob.empty()) eager.pool5 = h.pool5;
              cls_prob.push_back(h.cls_prob);
            }
          } else {
            const auto h = bua::run_heads(model.detector, torch::cat(pooled, 0), x.inference);
            eager.pool5 = h.pool5.narrow(0, 0, pooled[0].size(0));
            int64_t off = 0;
            for (const auto& p : pooled) cls_prob.push_back(h.cls_prob.narrow(0, off, p.size(0))), off += p.size(0);
          }
          sync(dev);
          t_heads += now() - t;
          t = now();
          proposals_seen = 0;
          for (const auto& b : all_boxes) proposals_seen += b.size(0);
          for (int i = 0; i < m; ++i) bua::select_boxes(all_boxes[i], cls_prob[i], x.selection);
          sync(dev);
          t_select += now() - t;
        }
        auto ms = [&](double s) { return 1000.0 * s / m; };
        std::cout << dname << " proposals per image: " << proposals_seen / m << "\n";
        std::cout << dname << " per image (ms): decode+prepare " << ms(t_decode) << " (CPU, one thread), trunk "
                  << ms(t_trunk) << ", rpn+proposals " << ms(t_rpn) << ", roi pool " << ms(t_pool) << ", res5+heads "
                  << ms(t_heads) << " (" << x.inference.max_rois_per_chunk << " ROIs per res5 pass"
                  << (x.inference.chunk_within_image ? ", per image" : "") << (x.inference.channels_last ? ", NHWC" : "")
                  << "), selection incl. 1600-class NMS " << ms(t_select) << "\n";
        eager.ours_ms = ms(t_trunk + t_rpn + t_pool + t_heads);
        if (!no_eager) run_eager_reference(python, work, net, dname, device, eager);
      }

      // End to end: decode on threads, network, selection, TSV rows written.
      bua::FeatureJobOptions job;
      job.extract = x;
      job.batch_images = batch;
      job.decode_threads = decode_threads;
      job.label = "bench " + dname;
      if (warmup > 0) {
        job.out = (fs::path(work) / ("warmup_" + dname + ".tsv")).string();
        fs::remove(job.out);
        bua::run_feature_job(model.detector, std::vector<bua::ImageEntry>(entries.begin(), entries.begin() + std::min<size_t>(warmup, entries.size())), job);
      }
      job.out = (fs::path(work) / ("features_" + dname + ".tsv")).string();
      fs::remove(job.out);
      const auto s = bua::run_feature_job(model.detector, entries, job);
      std::cout << dname << " end to end: " << s.written << " images in " << s.seconds << " s = "
                << s.written / s.seconds << " images/s\n";

      // bf16 vs fp32 on identical boxes.
      torch::NoGradGuard ng;
      const int m = std::min<int>(static_cast<int>(entries.size()), 16);
      double min_cos = 1, sum_cos = 0;
      int64_t rows = 0;
      for (int i = 0; i < m; ++i) {
        const auto im = bua::prepare_image(bua::read_image(entries[i].path), x.pixel_means, x.target_size, x.max_size);
        if (dtype == torch::kFloat) {
          const auto d = bua::detect(model.detector, {im}, x.inference).at(0);
          fp32_boxes[entries[i].id] = d.boxes.cpu();
          fp32_feats[entries[i].id] = d.pool5.cpu();
        } else if (fp32_boxes.count(entries[i].id)) {
          const auto d = bua::detect(model.detector, {im}, x.inference, {fp32_boxes[entries[i].id]}).at(0);
          const auto cos = torch::cosine_similarity(d.pool5.cpu(), fp32_feats[entries[i].id], 1);
          min_cos = std::min(min_cos, cos.min().item<double>());
          sum_cos += cos.sum().item<double>();
          rows += cos.size(0);
        }
      }
      if (rows > 0)
        std::cout << dname << " vs fp32 features on the same boxes: cosine min " << min_cos << ", mean "
                  << sum_cos / rows << " over " << rows << " regions\n";
    }
    return 0;
  });
}
