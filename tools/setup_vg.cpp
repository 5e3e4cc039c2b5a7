// setup_vg: Visual Genome preparation (the original data/genome/setup_vg.py). Reads the raw VG files
// and writes name counts, vocabularies and one Pascal-VOC XML per image; the raw files are not modified.
//   setup_vg --data-dir data/vg --out-dir data/genome [--max-objects 2500 --max-attributes 1000 --max-relations 500]
#include "bua/data/setup_vg.h"

#include <iostream>

#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Build Visual Genome vocabularies and per-image XML annotations from the raw VG files", "setup_vg"};
  bua::SetupVgOptions options;
  bool quiet = false;
  app.add_option("--data-dir", options.data_dir,
                 "raw VG folder: image_data.json, scene_graphs.json (or objects.json + relationships.json), "
                 "attributes.json")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--out-dir", options.out_dir, "where counts, vocab files and xml/ go")->required();
  app.add_option("--max-objects", options.max_objects, "object vocabulary size")->capture_default_str();
  app.add_option("--max-attributes", options.max_attributes, "attribute vocabulary size")->capture_default_str();
  app.add_option("--max-relations", options.max_relations, "relation vocabulary size")->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "no progress");

  return bua::tool_main(app, argc, argv, [&] {
    options.progress = !quiet;
    bua::SetupVgResult r = bua::setup_vg(options);
    std::cout << "images: " << r.images << ", xml written: " << r.xml_written << "\n"
              << "objects: " << r.objects << " names, vocab " << r.objects_vocab << "\n"
              << "attributes: " << r.attributes << " names, vocab " << r.attributes_vocab << "\n"
              << "relations: " << r.relations << " names, vocab " << r.relations_vocab << "\n";
    if (r.stale_xml) std::cout << "xml files left from an earlier run: " << r.stale_xml << "\n";
    if (r.skipped_objects) std::cout << "objects skipped (broken box or no name): " << r.skipped_objects << "\n";
    return 0;
  });
}
