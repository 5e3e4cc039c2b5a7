// test_net: object and attribute mAP on Visual Genome, as the original tools/test_net.py computes them.
// Either scores a model on images (--net), or re-scores saved detections (--rescore) without a network.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "bua/config/cli.h"
#include "bua/image/image_flags.h"
#include "bua/data/vg_dataset.h"
#include "bua/data/vg_ground_truth.h"
#include "bua/dist/gradient_averager.h"
#include "bua/eval/eval_report.h"
#include "bua/eval/rescore.h"
#include "bua/features/image_list.h"
#include "bua/features/vg_test.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/failure_list.h"
#include "bua/util/log.h"
#include "bua/util/shard.h"
#include "bua/util/tool_main.h"

namespace fs = std::filesystem;

namespace {

// gt images → files: <images>/**/<image_id>.<jpg|png>.
std::vector<std::string> find_images(const bua::VgGroundTruth& gt, const std::string& dir) {
  std::map<std::string, std::string> by_stem;
  for (const auto& e : bua::list_image_dir(dir)) by_stem.emplace(fs::path(e.path).stem().string(), e.path);
  std::vector<std::string> paths;
  for (const auto& im : gt.images) {
    auto it = by_stem.find(std::to_string(im.image_id));
    paths.push_back(it == by_stem.end() ? (fs::path(dir) / (std::to_string(im.image_id) + ".jpg")).string() : it->second);
  }
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Object and attribute mAP on Visual Genome", "test_net"};
  bua::ConfigFlags config_flags(app);
  std::string net, imdb, data_dir = "data", gt_path, images, rescore, out = "output/test_net", device = "cpu", split = "val";
  bool gt_boxes = false, json = false, no_cache = false;
  int64_t max_images = 0, max_per_image = 400, batch = 4;
  app.add_option("--net", net, "checkpoint to evaluate")->check(CLI::ExistingFile);
  app.add_option("--imdb", imdb, "dataset: vg_<version>_<split> under --data-dir (e.g. vg_1600-400-20_val)");
  app.add_option("--data-dir", data_dir, "data root (genome/, vg/)")->capture_default_str();
  app.add_option("--gt", gt_path, "ground truth (gt.json layout), instead of --imdb")->check(CLI::ExistingFile);
  app.add_option("--images", images, "folder holding the images, found by id (<id>.jpg)");
  app.add_option("--rescore", rescore, "score saved detections (detections.json layout) instead of running a net")
      ->check(CLI::ExistingFile);
  app.add_option("--out", out, "folder for detections, per-class AP lists and thresholds")->capture_default_str();
  app.add_option("--split", split, "names the output files (object_thresholds_<split>.txt ...)")->capture_default_str();
  app.add_flag("--gt-boxes", gt_boxes, "attribute mode: the gt boxes as ROIs (the original's test_gt)");
  app.add_flag("--json", json, "print the results as JSON (the fields of expected.json)");
  app.add_flag("--no-cache", no_cache, "detect again even when cached detections exist");
  app.add_option("--max-images", max_images, "evaluate the first N images only (quick runs)");
  app.add_option("--num-dets", max_per_image, "detections kept per image")->capture_default_str();
  app.add_option("--device", device, "cpu | cuda | cuda:N")->capture_default_str();
  app.add_option("--batch-images", batch, "images per head batch")->capture_default_str();
  bua::ImageFlags image_flags(app, /*truncated_flag=*/false);
  return bua::tool_main(app, argc, argv, [&] {
    bua::VgGroundTruth gt;
    std::vector<std::string> paths;
    if (!imdb.empty()) {
      bua::VgLoadOptions lo;
      lo.cache_dir = (fs::path(data_dir) / "cache").string();
      const auto data = bua::load_vg_dataset(bua::resolve_vg_dataset(imdb, data_dir), lo);
      gt = bua::vg_ground_truth(data);
      for (const auto& r : data.records)
        if (!r.flipped) paths.push_back(r.image_path);
      fs::create_directories(out);
      gt_path = (fs::path(out) / "gt.json").string();
      bua::save_vg_ground_truth(gt_path, gt);
    }
    if (gt_path.empty()) bua::fail("test_net", "give --imdb or --gt");
    bua::RescoreOptions r;
    r.gt_path = gt_path;
    r.out_dir = out;
    r.split = split;
    r.json = json;
    if (!rescore.empty()) {
      r.detections_path = rescore;
      bua::rescore(r, std::cout);
      return 0;
    }
    if (net.empty() || (imdb.empty() && images.empty()))
      bua::fail("test_net", "give --net and --imdb (or --gt and --images), or --rescore DETECTIONS");
    const bua::Config cfg = config_flags.load();
    const bua::DistEnv env = bua::dist_env_from_environment();
    if (env.rank == 0) std::cerr << "Using config:\n" << bua::to_yaml(cfg) << "\n";
    if (imdb.empty()) {
      gt = bua::load_vg_ground_truth(gt_path);
      paths = find_images(gt, images);
    }
    if (max_images > 0 && static_cast<int64_t>(gt.images.size()) > max_images) {
      gt.images.resize(max_images);
      paths.resize(max_images);
    }
    fs::create_directories(out);
    const std::string cache = (fs::path(out) / (gt_boxes ? "attribute_detections.json" : "detections.json")).string();
    // The cache is valid for the same checkpoint (path, size, time), images and config.
    const std::string key_path = cache + ".key";
    std::ostringstream key;
    key << fs::absolute(net).string() << "\n" << fs::file_size(net) << "\n"
        << fs::last_write_time(net).time_since_epoch().count() << "\n" << gt.images.size() << " images, "
        << max_per_image << " per image, exif " << image_flags.exif_name() << "\n" << bua::to_yaml(cfg);
    const bool cache_valid = fs::exists(cache) && fs::exists(key_path) && bua::read_file(key_path) == key.str();
    if (no_cache || !cache_valid) {
      fs::remove(fs::path(out) / "failures.txt");  // from an earlier run
      bua::use_exact_float32();
      bua::setup_cpu_runtime(env.active() ? env.world_size : 1);
      const torch::Device dev = bua::device_of_rank(bua::parse_device(device), env);
      bua::use_device(dev);
      auto model = bua::load_model(net, dev);
      if (model.checkpoint.classes.size() != gt.classes.size() ||
          (gt_boxes && model.checkpoint.attributes.size() != gt.attributes.size()))
        bua::fail(net, "its vocabulary (" + std::to_string(model.checkpoint.classes.size()) + " classes, " +
                           std::to_string(model.checkpoint.attributes.size()) + " attributes) does not match " +
                           gt_path + " (" + std::to_string(gt.classes.size()) + ", " +
                           std::to_string(gt.attributes.size()) + ")");
      bua::VgTestOptions o;
      o.extract = bua::extract_options(cfg);
      o.extract.image = image_flags.options();
      o.max_per_image = max_per_image;
      o.attributes = gt_boxes;
      o.batch_images = batch;
      // Several processes (RANK/WORLD_SIZE, torchrun-style) each take a contiguous share of the images;
      // rank 0 gathers their detections.
      const auto [begin, end] = bua::shard_range(static_cast<int64_t>(gt.images.size()), env.rank, env.world_size);
      auto share_of = [&](int rank) {
        const auto [b, e] = bua::shard_range(static_cast<int64_t>(gt.images.size()), rank, env.world_size);
        bua::VgGroundTruth part = gt;
        part.images.assign(gt.images.begin() + b, gt.images.begin() + e);
        return std::make_pair(part, b);
      };
      const auto [mine, first] = share_of(env.rank);
      const std::vector<std::string> my_paths(paths.begin() + begin, paths.begin() + end);
      const auto result = bua::run_vg_test(model.detector, mine, my_paths, o);
      bua::DetectionTable table = result.table;
      std::vector<std::string> failures = result.failures;
      if (env.active()) {
        const std::string part_path = cache + ".rank" + std::to_string(env.rank);
        bua::VgDetections part;
        (gt_boxes ? part.attributes : part.objects) = result.table;
        bua::save_vg_detections(part_path, part, mine);
        bua::write_file_atomic(part_path + ".failures", "");  // present even when empty
        bua::write_failure_list(part_path + ".failures", result.failures);
        bua::GradientAverager group(env, "gloo");
        group.barrier();
        if (env.rank != 0) return 0;
        table = bua::make_detection_table(result.table.size(), gt.images.size());
        failures.clear();
        for (int r = 0; r < env.world_size; ++r) {
          const auto [other, offset] = share_of(r);
          const std::string path = cache + ".rank" + std::to_string(r);
          const auto loaded = bua::load_vg_detections(path, other);
          const auto& t = gt_boxes ? *loaded.attributes : *loaded.objects;
          for (size_t c = 0; c < t.size(); ++c)
            for (size_t i = 0; i < t[c].size(); ++i) table[c][offset + i] = t[c][i];
          std::istringstream f(bua::read_file(path + ".failures"));
          for (std::string line; std::getline(f, line);)
            if (!line.empty() && line[0] != '#') failures.push_back(line);
          fs::remove(path);
          fs::remove(path + ".failures");
        }
      }
      bua::VgDetections dets;
      (gt_boxes ? dets.attributes : dets.objects) = table;
      bua::save_vg_detections(cache, dets, gt);
      bua::write_file_atomic(key_path, key.str());
      bua::log_info("detections cached in " + cache + " (a re-run only re-scores; --no-cache to detect again)");
      if (!failures.empty()) {
        bua::write_failure_list((fs::path(out) / "failures.txt").string(), failures);
        std::cerr << failures.size() << " of " << gt.images.size() << " images could not be read; listed in "
                  << (fs::path(out) / "failures.txt").string() << "\n";
      }
    } else {
      bua::log_info("using cached detections " + cache);
    }
    // Unreadable images are left out of the scores (and counted), on the first run and on cached re-runs.
    const std::string failures_path = (fs::path(out) / "failures.txt").string();
    if (fs::exists(failures_path)) {
      std::set<int64_t> failed;
      for (const auto& id : bua::read_failure_ids(failures_path)) failed.insert(std::stoll(id));
      const size_t before = gt.images.size();
      gt.images.erase(std::remove_if(gt.images.begin(), gt.images.end(),
                                     [&](const bua::VgGtImage& im) { return failed.count(im.image_id) > 0; }),
                      gt.images.end());
      std::cout << "Scored " << gt.images.size() << " of " << before << " images (" << before - gt.images.size()
                << " unreadable, see " << failures_path << ")\n";
    }
    // Scoring goes through the same path as --rescore, over the (possibly truncated) ground truth.
    const std::string gt_used = (fs::path(out) / "gt_used.json").string();
    bua::save_vg_ground_truth(gt_used, gt);
    r.gt_path = gt_used;
    r.detections_path = cache;
    bua::rescore(r, std::cout);
    return 0;
  });
}
