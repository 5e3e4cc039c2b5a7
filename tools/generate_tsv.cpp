// generate_tsv: bottom-up-attention region features for any image collection (the original's
// tools/generate_tsv.py, with its inputs, outputs and multi-GPU split made flags).
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "bua/config/cli.h"
#include "bua/features/job.h"
#include "bua/image/image_flags.h"
#include "bua/features/prefetch.h"
#include "bua/io/feature_cli.h"
#include "bua/io/npz.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/util/log.h"
#include "bua/util/error.h"
#include "bua/util/shard.h"
#include "bua/util/tool_main.h"

namespace {

struct Args {
  std::string net, out, images, image_list, image_root, vg_image_data, coco, boxes, format = "tsv", device = "cpu",
              gpus, shard, dtype = "fp32", npz_layout = "boxes-first", box_source = "proposals";
  int64_t min_boxes = 10, max_boxes = 100, batch_images = 4;
  double conf_thresh = 0.2;
  int decode_threads = 2;
  unsigned seed = 10;
  std::string cudnn_benchmark = "auto";
};

std::vector<bua::ImageEntry> list_inputs(const Args& a) {
  const int given = !a.images.empty() + !a.image_list.empty() + !a.vg_image_data.empty() + !a.coco.empty();
  if (given != 1) bua::fail("inputs", "give exactly one of --images, --image-list, --vg-image-data, --coco");
  if (!a.images.empty()) return bua::list_image_dir(a.images);
  if (!a.image_list.empty()) return bua::read_image_list(a.image_list, a.image_root);
  if (a.image_root.empty()) bua::fail("--image-root", "required with --vg-image-data and --coco");
  if (!a.vg_image_data.empty()) return bua::vg_image_entries(a.vg_image_data, a.image_root);
  return bua::coco_image_entries(a.coco, a.image_root);
}

// What identifies the content of an input file (the checkpoint, the given boxes) whatever its name or date.
std::string file_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bua::fail(path, "cannot open");
  std::vector<char> buf(1 << 20);
  uint32_t crc = 0;
  uint64_t size = 0;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    crc = bua::crc32(buf.data(), static_cast<size_t>(in.gcount()), crc);
    size += static_cast<uint64_t>(in.gcount());
  }
  char hex[16];
  std::snprintf(hex, sizeof(hex), "%08x", crc);
  return std::to_string(size) + " bytes, crc32 " + hex;
}

// The settings that shape the rows, recorded beside the output so that a resume with others is refused.
bua::NamedValues run_options(const Args& a, const std::string& exif) {
  bua::NamedValues o = {{"--net", file_identity(a.net)}, {"--exif", exif}, {"--dtype", a.dtype}};
  if (a.format == "npz") o.emplace_back("--npz-layout", a.npz_layout);
  if (!a.boxes.empty()) {
    o.emplace_back("--boxes", file_identity(a.boxes));
    return o;
  }
  o.insert(o.end(), {{"--min-boxes", std::to_string(a.min_boxes)},
                     {"--max-boxes", std::to_string(a.max_boxes)},
                     {"--conf-thresh", std::to_string(a.conf_thresh)},
                     {"--box-source", a.box_source}});
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Extract bottom-up-attention region features (pool5) into TSV, LXMERT TSV, NPZ, the VQA models' HDF5 "
               "or the captioning layout",
               "generate_tsv"};
  Args a;
  bua::ConfigFlags config_flags(app);
  app.add_option("--net", a.net, "checkpoint (see import_caffemodel)")->required()->check(CLI::ExistingFile);
  app.add_option("--out", a.out,
                 "output: TSV or .hdf5 file, folder for --format npz, prefix of the _att/_fc/_box folders for captioning")
      ->required();
  app.add_option("--images", a.images, "folder of images (recursive; jpg, jpeg, png, bmp)");
  app.add_option("--image-list", a.image_list, "file with one 'path [id]' per line");
  app.add_option("--vg-image-data", a.vg_image_data, "Visual Genome image_data.json");
  app.add_option("--coco", a.coco, "COCO annotations or image_info json");
  app.add_option("--image-root", a.image_root, "folder the image paths of --image-list/--vg-image-data/--coco are relative to");
  app.add_option("--boxes", a.boxes, "JSON {image id: [[x1,y1,x2,y2], ...]}: features for exactly these boxes");
  app.add_option("--format", a.format, bua::feature_format_names())
      ->check(bua::feature_format_validator())
      ->capture_default_str();
  app.add_option("--npz-layout", a.npz_layout, "x of --format npz: boxes-first [N,D] or features-first [D,N] (MCAN)")
      ->check(CLI::IsMember({"boxes-first", "features-first"}))
      ->capture_default_str();
  app.add_option("--box-source", a.box_source,
                 "proposals (the original: selected RPN boxes) | regressed (class-regressed boxes, features pooled again)")
      ->check(CLI::IsMember({"proposals", "regressed"}))
      ->capture_default_str();
  app.add_option("--min-boxes", a.min_boxes, "fewest boxes per image (36 for fixed)")->capture_default_str();
  app.add_option("--max-boxes", a.max_boxes, "most boxes per image (36 for fixed)")->capture_default_str();
  app.add_option("--conf-thresh", a.conf_thresh, "keep boxes whose best class score is at least this")->capture_default_str();
  app.add_option("--device", a.device, "cpu | cuda | cuda:N")->capture_default_str();
  app.add_option("--gpu", a.gpus, "several GPUs, e.g. 0,1,2,3: one worker each, output <out>.<gpu>");
  app.add_option("--shard", a.shard,
                 "i/n: this node's share of the images; auto: from torchrun (RANK/WORLD_SIZE) or Slurm (array or "
                 "tasks), writing <out>.<i>");
  app.add_option("--dtype", a.dtype, "fp32 | bf16")->capture_default_str();
  app.add_option("--batch-images", a.batch_images, "images per res5/head batch")->capture_default_str();
  app.add_option("--decode-threads", a.decode_threads, "image decoding threads")->capture_default_str();
  bua::ImageFlags image_flags(app, /*truncated_flag=*/true);
  app.add_option("--cudnn-benchmark", a.cudnn_benchmark,
                 "time cuDNN algorithms per image size (GPU): auto (on in bf16; fp32 stays deterministic), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  app.add_option("--seed", a.seed, "shuffle seed of the multi-GPU split (the original uses 10)")->capture_default_str();
  return bua::tool_main(app, argc, argv, [&] {
    const bua::Config cfg = config_flags.load();
    std::cerr << "Using config:\n" << bua::to_yaml(cfg) << "\n";
    auto entries = list_inputs(a);
    if (entries.empty()) bua::fail("inputs", "no images found: nothing to extract");
    // Before any split, so that every worker and shard keeps the same first entry of an id.
    std::vector<bua::RepeatedId> repeats;
    entries = bua::drop_repeated_ids(std::move(entries), repeats);
    for (const auto& r : repeats) bua::log_warn("skipping " + r.entry.path + ": " + r.reason);
    std::string out = a.out;
    bool list_repeats = true;  // by one process only
    if (!a.shard.empty()) {
      const bua::Shard shard = bua::parse_shard(a.shard);
      // One command for every process: each writes its own <out>.<i> (read_tsv --merge joins them).
      if (a.shard == "auto" && shard.count > 1) out += shard.suffix();
      bua::log_info("shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) + " (" + shard.source +
                    ") -> " + out);
      entries = bua::shard_entries(entries, shard.index, shard.count, a.seed, /*shuffle=*/false);
      list_repeats = shard.index == 0;
    }
    bua::FeatureJobOptions job;
    job.format = bua::parse_feature_format(a.format);
    if (job.format == bua::FeatureFormat::kHdf5Fixed && a.boxes.empty() && a.min_boxes != a.max_boxes)
      bua::fail("--format hdf5-fixed", "holds the same number of boxes for every image: give --min-boxes and "
                                       "--max-boxes the same value (36 for the VQA baseline), or use hdf5-adaptive");
    job.sink.npz_layout = a.npz_layout == "features-first" ? bua::NpzLayout::kFeaturesFirst : bua::NpzLayout::kBoxesFirst;
    job.sink.run_options = run_options(a, image_flags.exif_name());
    job.sink.inputs = {{"--net", a.net},          {"--images", a.images}, {"--image-list", a.image_list},
                       {"--vg-image-data", a.vg_image_data}, {"--coco", a.coco},     {"--image-root", a.image_root},
                       {"--boxes", a.boxes}};
    if (list_repeats) job.skipped = repeats;
    job.extract = bua::extract_options(cfg);
    job.extract.selection.min_boxes = a.min_boxes;
    job.extract.selection.max_boxes = a.max_boxes;
    job.extract.selection.conf_thresh = a.conf_thresh;
    bua::check_selection_options(job.extract.selection);  // before the model loads
    job.extract.inference.dtype = bua::parse_dtype(a.dtype);
    bua::use_cudnn_policy(job.extract.inference.dtype, a.cudnn_benchmark);  // before the model loads
    job.extract.box_source = bua::parse_box_source(a.box_source);
    job.extract.image = image_flags.options();
    job.batch_images = a.batch_images;
    job.decode_threads = a.decode_threads;
    bua::check_decode_threads(a.decode_threads);  // before the model loads
    if (!a.boxes.empty()) job.given_boxes = bua::read_given_boxes(a.boxes);
    bua::log_info(std::to_string(entries.size()) + " images");

    auto run_on = [&](const torch::Device& device, const std::vector<bua::ImageEntry>& part, bua::FeatureJobOptions o) {
      bua::use_device(device);  // this worker thread's GPU
      auto model = bua::load_model(a.net, device);
      bua::prepare_for_inference(model.detector, o.extract.inference.dtype, o.extract.inference);
      const auto s = bua::run_feature_job(model.detector, part, o);
      bua::log_info(o.out + ": " + std::to_string(s.written) + " written, " + std::to_string(s.already_done) +
                    " already there, " + std::to_string(s.failed) + " failed, " + std::to_string(s.seconds) + " s");
      return s.failed;
    };
    bua::use_exact_float32();
    bua::setup_cpu_runtime();
    const auto gpus = bua::parse_gpu_list(a.gpus);
    if (gpus.size() <= 1) {
      job.out = out;
      run_on(gpus.empty() ? bua::parse_device(a.device) : gpus[0], entries, job);
      return 0;
    }
    // Several GPUs: shuffle once, give worker k every n-th image, one output per GPU (the original's out.tsv.<gpu>).
    std::vector<std::thread> workers;
    std::vector<std::string> errors(gpus.size());
    for (size_t k = 0; k < gpus.size(); ++k) {
      auto o = job;
      o.out = out + "." + std::to_string(gpus[k].index());
      o.label = "gpu " + std::to_string(gpus[k].index());
      if (k > 0) o.skipped.clear();  // the first worker lists the repeated ids
      auto part = bua::shard_entries(entries, static_cast<int>(k), static_cast<int>(gpus.size()), a.seed, true);
      workers.emplace_back([&, k, o, part] {
        try {
          run_on(gpus[k], part, o);
        } catch (const std::exception& e) {
          errors[k] = e.what();
        }
      });
    }
    for (auto& w : workers) w.join();
    int rc = 0;
    for (size_t k = 0; k < gpus.size(); ++k)
      if (!errors[k].empty()) std::cerr << "generate_tsv: error on GPU " << gpus[k].index() << ": " << errors[k] << "\n", rc = 1;
    const bool tsv = job.format == bua::FeatureFormat::kTsvOriginal || job.format == bua::FeatureFormat::kTsvLxmert;
    if (rc == 0)
      std::cout << "merge the per-GPU outputs with: read_tsv --merge " << out << " " << out << ".*"
                << (tsv ? "" : std::string(" --convert-to ") + bua::feature_format_name(job.format)) << "\n";
    return rc;
  });
}
