// demo: draws the detections of a model on images, like the original tools/demo.ipynb ("attribute class"
// labels over the selected boxes), or the boxes of an existing feature file (--tsv).
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "bua/config/cli.h"
#include "bua/features/extractor.h"
#include "bua/features/image_list.h"
#include "bua/image/image_flags.h"
#include "bua/io/feature_cli.h"
#include "bua/io/feature_files.h"
#include "bua/model/checkpoint.h"
#include "bua/model/device.h"
#include "bua/viz/draw.h"
#include "bua/viz/labels.h"
#include "bua/util/error.h"
#include "bua/util/tool_main.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{"Draw detections (or the boxes of a feature file) on images as PNG", "demo"};
  bua::ConfigFlags config_flags(app);
  std::string net, tsv, out, device = "cpu", images_dir;
  std::vector<std::string> images;
  int64_t min_boxes = 10, max_boxes = 20;
  double conf_thresh = 0.4, attr_thresh = 0.1;
  app.add_option("--net", net, "checkpoint: detect and label")->check(CLI::ExistingFile);
  app.add_option("--tsv", tsv,
                 "feature output of any format read_tsv reads: draw its boxes (labels too when it has the object "
                 "fields and --net names the vocabulary)")
      ->check(bua::feature_input_validator());
  app.add_option("images", images, "image files");
  app.add_option("--images", images_dir, "folder of images (with --tsv: where the rows' images are, matched by id)");
  app.add_option("--out", out, "folder for the PNG files")->required();
  app.add_option("--device", device, "cpu | cuda | cuda:N")->capture_default_str();
  app.add_option("--min-boxes", min_boxes, "fewest boxes drawn")->capture_default_str();
  app.add_option("--max-boxes", max_boxes, "most boxes drawn")->capture_default_str();
  app.add_option("--conf-thresh", conf_thresh, "class confidence to draw a box (the notebook's 0.4)")->capture_default_str();
  app.add_option("--attr-thresh", attr_thresh, "attribute confidence to name it (the notebook's 0.1)")->capture_default_str();
  bua::ImageFlags image_flags(app, /*truncated_flag=*/false);
  return bua::tool_main(app, argc, argv, [&] {
    if (net.empty() && tsv.empty()) bua::fail("demo", "give --net (detect) or --tsv (draw a feature file)");
    fs::create_directories(out);
    std::vector<bua::ImageEntry> entries;
    for (const auto& p : images) entries.push_back({p, bua::image_id_from_path(p)});
    if (!images_dir.empty())
      for (auto& e : bua::list_image_dir(images_dir)) entries.push_back(e);
    if (entries.empty()) bua::fail("demo", "no images given");
    std::map<std::string, std::string> path_of;
    for (const auto& e : entries) path_of[e.id] = e.path;

    std::optional<bua::LoadedModel> model;
    if (!net.empty()) {
      bua::setup_cpu_runtime();
      model = bua::load_model(net, bua::parse_device(device));
    }
    int drawn = 0;
    auto save = [&](const std::string& id, const cv::Mat& im, const std::vector<bua::DrawnBox>& boxes) {
      const auto path = (fs::path(out) / (id + ".png")).string();
      bua::write_png(path, bua::draw_boxes(im, boxes));
      std::cout << path << " (" << boxes.size() << " boxes)\n";
      ++drawn;
    };

    if (!tsv.empty()) {
      bua::FeatureSource source(tsv);
      bua::FeatureRecord r;
      while (source.next(r)) {
        auto it = path_of.find(r.image_id);
        if (it == path_of.end()) continue;
        const cv::Mat im = bua::read_image(it->second, image_flags.options());
        std::vector<bua::DrawnBox> boxes;
        for (int64_t i = 0; i < r.num_boxes; ++i) {
          std::string text;
          if (model && r.has_objects()) {
            const auto& c = model->checkpoint;
            text = bua::display_name(c.classes.at(static_cast<size_t>(r.objects_id[i] + 1)));
            if (r.attrs_conf[i] > attr_thresh && !c.attributes.empty())
              text = bua::display_name(c.attributes.at(static_cast<size_t>(r.attrs_id[i] + 1))) + " " + text;
          }
          boxes.push_back({r.boxes[4 * i], r.boxes[4 * i + 1], r.boxes[4 * i + 2], r.boxes[4 * i + 3], text});
        }
        save(r.image_id, im, boxes);
      }
    } else {
      const bua::Config cfg = config_flags.load();
      auto opts = bua::extract_options(cfg);
      opts.selection.min_boxes = min_boxes;
      opts.selection.max_boxes = max_boxes;
      opts.selection.conf_thresh = conf_thresh;
      bua::check_selection_options(opts.selection);
      for (const auto& e : entries) {
        const cv::Mat im = bua::read_image(e.path, image_flags.options());
        const auto prepared = bua::prepare_image(im, opts.pixel_means, opts.target_size, opts.max_size);
        const auto d = bua::detect(model->detector, {prepared}, opts.inference).at(0);
        const auto keep = bua::select_boxes(d.boxes, d.cls_prob, opts.selection).keep;
        const auto labels = bua::region_labels(d.cls_prob.index_select(0, keep),
                                               d.attr_prob.defined() ? d.attr_prob.index_select(0, keep) : torch::Tensor(),
                                               model->checkpoint.classes, model->checkpoint.attributes, attr_thresh);
        const auto b = d.boxes.index_select(0, keep).cpu();
        std::vector<bua::DrawnBox> boxes;
        for (int64_t i = 0; i < b.size(0); ++i) {
          char score[16];
          std::snprintf(score, sizeof score, " %.2f", labels[i].object_conf);
          boxes.push_back({b[i][0].item<float>(), b[i][1].item<float>(), b[i][2].item<float>(), b[i][3].item<float>(),
                           labels[i].label + score});
        }
        save(e.id, im, boxes);
      }
    }
    if (drawn == 0) bua::fail("demo", "nothing drawn (no image matched)");
    return 0;
  });
}
