// bua.read_features, bua.vocab and bua.read_image: the library's readers, for feature files, checkpoints and images.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>

#include "bua/image/image.h"
#include "bua/io/feature_files.h"
#include "bua/model/checkpoint.h"
#include "errors.h"
#include "module.h"
#include "records.h"

namespace py = pybind11;

namespace bua::python {
namespace {

std::string path_of(const py::object& path) { return py::module_::import("os").attr("fsdecode")(path).cast<std::string>(); }

// The records of any feature output, through FeatureSource (the reader of read_tsv).
class FeatureReader {
 public:
  explicit FeatureReader(const std::string& path) {
    py::gil_scoped_release no_gil;
    source_ = std::make_unique<FeatureSource>(path);
  }

  py::dict next() {
    check_interrupt();
    FeatureRecord record;
    bool more;
    {
      py::gil_scoped_release no_gil;
      more = source_->next(record);
    }
    if (!more) throw py::stop_iteration();
    return record_to_dict(record);
  }

  std::string format() const { return source_->format_label(); }

 private:
  std::unique_ptr<FeatureSource> source_;
};

const char* kReadFeaturesDoc = R"(read_features(path) -> iterator of dicts

The records of any output of generate_tsv or read_tsv: a TSV (original or LXMERT layout), a folder of .npz
files, an HDF5 file (hdf5-fixed or hdf5-adaptive) or a captioning prefix (<prefix>_att, _fc, _box), as the dicts
Extractor returns. The original TSV layout and the captioning one hold no object fields; their dicts have none.)";

}  // namespace

void add_readers(py::module_& m) {
  py::class_<FeatureReader>(m, "_FeatureReader", "the records of a feature output, in file order")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &FeatureReader::next)
      .def_property_readonly("format", &FeatureReader::format,
                             "'original', 'lxmert', 'npz', 'hdf5-fixed', 'hdf5-adaptive' or 'captioning'");
  m.def(
      "read_features", [](const py::object& path) { return std::make_unique<FeatureReader>(path_of(path)); },
      kReadFeaturesDoc, py::arg("path"));
  m.def(
      "vocab",
      [](const py::object& net) {
        const std::string path = path_of(net);
        Checkpoint c;
        {
          py::gil_scoped_release no_gil;
          c = load_checkpoint(path);
        }
        py::dict d;
        d["objects"] = foreground_names(c.classes);
        d["attributes"] = foreground_names(c.attributes);
        return d;
      },
      "vocab(net) -> {'objects': [...], 'attributes': [...]}: the names stored in a checkpoint; objects_id k of a "
      "record is objects[k], attrs_id k is attributes[k] (a name may hold comma-separated synonyms).",
      py::arg("net"));
  m.def(
      "read_image",
      [](const py::object& path, const std::string& exif) {
        const std::string file = path_of(path);
        cv::Mat bgr;
        {
          py::gil_scoped_release no_gil;
          bgr = read_image(file, parse_exif_mode(exif));
        }
        py::array_t<uint8_t> a({static_cast<py::ssize_t>(bgr.rows), static_cast<py::ssize_t>(bgr.cols),
                                static_cast<py::ssize_t>(3)});
        for (int y = 0; y < bgr.rows; ++y) std::memcpy(a.mutable_data(y), bgr.ptr<uint8_t>(y), bgr.cols * 3);
        return a;
      },
      "read_image(path, exif='apply') -> H x W x 3 uint8 array, B, G, R: the image as generate_tsv decodes it "
      "(cv2.imread(path, IMREAD_COLOR); exif='ignore' keeps a JPEG's stored orientation).",
      py::arg("path"), py::arg("exif") = "apply");
}

}  // namespace bua::python
