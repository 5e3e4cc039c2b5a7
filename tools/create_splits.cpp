// create_splits: Visual Genome train/val/test split files (the original data/genome/create_splits.py),
// keeping COCO Karpathy val/test images out of train.
//   create_splits --image-data data/vg/image_data.json --out-dir data/genome \
//     [--karpathy-train F --karpathy-val F --karpathy-test F --coco-test image_info_test2014.json]
#include <iostream>

#include "bua/data/splits.h"
#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Write Visual Genome train/val/test split files", "create_splits"};
  bua::CreateSplitsOptions o;
  app.add_option("--image-data", o.image_data, "VG image_data.json")->required()->check(CLI::ExistingFile);
  app.add_option("--out-dir", o.out_dir, "where train.txt, val.txt, test.txt go")->required();
  app.add_option("--val-size", o.val_size, "images in val")->capture_default_str();
  app.add_option("--test-size", o.test_size, "images in test")->capture_default_str();
  app.add_option("--seed", o.seed, "shuffle seed (the original used 10)")->capture_default_str();
  app.add_option("--karpathy-train", o.karpathy_train, "Karpathy train list (karpathy_train_images.txt)")
      ->check(CLI::ExistingFile);
  app.add_option("--karpathy-val", o.karpathy_val, "Karpathy val list")->check(CLI::ExistingFile);
  app.add_option("--karpathy-test", o.karpathy_test, "Karpathy test list")->check(CLI::ExistingFile);
  app.add_option("--coco-test", o.coco_test, "COCO image_info_test2014.json")->check(CLI::ExistingFile);
  app.add_flag("--overwrite", o.overwrite, "replace existing split files");

  return bua::tool_main(app, argc, argv, [&] {
    bua::CreateSplitsResult r = bua::create_splits(o);
    std::cout << "images: " << r.images << " (" << r.with_coco_id << " with a COCO id)\n"
              << "in Karpathy train/val/test: " << r.in_karpathy_train << "/" << r.in_karpathy_val << "/"
              << r.in_karpathy_test << ", in COCO test: " << r.in_coco_test << "\n"
              << "train: " << r.train << ", val: " << r.val << ", test: " << r.test << "\n";
    return 0;
  });
}
