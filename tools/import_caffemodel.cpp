// import_caffemodel: turns a released .caffemodel (the bottom-up-attention detector, or the ImageNet
// ResNet-101 with --trunk-only) into a BUA checkpoint carrying the architecture and the vocabularies.
#include <iostream>

#include "bua/config/arch.h"
#include "bua/io/caffe_model.h"
#include "bua/model/caffe_import.h"
#include "bua/model/checkpoint.h"
#include "bua/util/error.h"
#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Import a Caffe .caffemodel into a BUA checkpoint", "import_caffemodel"};
  std::string caffemodel, arch_path, objects_vocab, attributes_vocab, out;
  bool trunk_only = false;
  app.add_option("--caffemodel", caffemodel, "Caffe weights (V2 NetParameter, modern or legacy blob shapes)")
      ->required()->check(CLI::ExistingFile);
  app.add_option("--arch", arch_path, "architecture file, e.g. configs/resnet101_vg.yml")->required()->check(CLI::ExistingFile);
  app.add_option("--objects-vocab", objects_vocab, "objects_vocab.txt (one class per line, synonyms comma-separated)")
      ->required()->check(CLI::ExistingFile);
  app.add_option("--attributes-vocab", attributes_vocab, "attributes_vocab.txt")->check(CLI::ExistingFile);
  app.add_option("--out", out, "checkpoint to write")->required();
  app.add_flag("--trunk-only", trunk_only, "import conv1..res5 only (ImageNet initialisation): the checkpoint holds the trunk alone, and "
               "train_net starts the RPN and heads from the original's fillers; extra layers are ignored");
  return bua::tool_main(app, argc, argv, [&] {
    bua::Checkpoint ckpt;
    ckpt.arch = bua::load_arch(arch_path);
    ckpt.classes = bua::read_vocab_file(objects_vocab, "__background__");
    if (static_cast<int64_t>(ckpt.classes.size()) != ckpt.arch.num_classes)
      bua::fail(objects_vocab, std::to_string(ckpt.classes.size() - 1) + " classes (+ background), but " + arch_path +
                                   " has num_classes " + std::to_string(ckpt.arch.num_classes));
    if (ckpt.arch.has_attributes) {
      if (attributes_vocab.empty()) bua::fail("--attributes-vocab", "required: the architecture has an attribute head");
      ckpt.attributes = bua::read_vocab_file(attributes_vocab, "__no_attribute__");
      if (static_cast<int64_t>(ckpt.attributes.size()) != ckpt.arch.num_attributes)
        bua::fail(attributes_vocab, std::to_string(ckpt.attributes.size() - 1) + " attributes (+ none), but " +
                                        arch_path + " has num_attributes " + std::to_string(ckpt.arch.num_attributes));
    }
    const bua::CaffeModel model = bua::read_caffemodel(caffemodel);
    bua::Detector detector(ckpt.arch);
    const auto scope = trunk_only ? bua::CaffeImportScope::kTrunk : bua::CaffeImportScope::kFull;
    const auto report = bua::import_caffe_weights(detector, model, scope, caffemodel);
    for (const auto& layer : report.unused_layers) std::cout << "ignored layer " << layer << "\n";
    ckpt.state = bua::imported_state(detector, scope);
    bua::save_checkpoint(ckpt, out);
    std::cout << "wrote " << out << " (" << ckpt.state.size() << " tensors, " << ckpt.classes.size() << " classes, "
              << ckpt.attributes.size() << " attributes)\n";
    return 0;
  });
}
