// `import bua`: feature extraction and feature files from Python, with no PyTorch on the Python side.
#include "module.h"

PYBIND11_MODULE(bua, m) {
  m.doc() =
      "Bottom-up-attention region features (Anderson et al. 2018) from the BUA C++ library: bua.Extractor runs a "
      "checkpoint on images, bua.read_features reads any output of generate_tsv, bua.vocab names the classes.";
  bua::python::add_errors(m);
  bua::python::add_extractor(m);
  bua::python::add_readers(m);
}
