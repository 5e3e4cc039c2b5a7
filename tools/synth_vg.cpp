// synth_vg: a small synthetic Visual Genome (drawn shapes with colours, sizes and patterns, related by
// position) in VG's raw format, for running setup_vg -> create_splits -> training with no download.
//   synth_vg --out DIR --images N --size S --seed K
#include "bua/data/synth_vg.h"

#include <iostream>

#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Write a deterministic synthetic dataset in Visual Genome's raw format", "synth_vg"};
  bua::SynthVgOptions o;
  bool quiet = false;
  app.add_option("--out", o.out_dir, "output folder (JSON files and VG_100K/*.jpg)")->required();
  app.add_option("--images", o.images, "number of images")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--size", o.size, "longer image side in pixels")->capture_default_str()->check(CLI::Range(32, 4096));
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_option("--min-objects", o.min_objects, "fewest shapes per image")->capture_default_str();
  app.add_option("--max-objects", o.max_objects, "most shapes per image")->capture_default_str();
  app.add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_flag("-q,--quiet", quiet, "no progress");

  return bua::tool_main(app, argc, argv, [&] {
    o.progress = !quiet;
    bua::SynthVgResult r = bua::write_synth_vg(o);
    std::cout << "wrote " << o.out_dir << ": " << r.images << " images, " << r.objects << " objects, " << r.relations
              << " relations\n";
    return 0;
  });
}
