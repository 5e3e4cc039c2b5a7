#include "extractor.h"

#include <pybind11/stl.h>

#include "bua/config/config.h"
#include "bua/features/select.h"
#include "bua/model/device.h"
#include "bua/model/inference.h"
#include "errors.h"
#include "image_input.h"
#include "module.h"
#include "record_iterator.h"
#include "records.h"

namespace py = pybind11;

namespace bua::python {
namespace {

// cfg=: None, one path or a list of paths, applied in order as generate_tsv's --cfg flags.
std::vector<std::string> cfg_files(const py::object& cfg) {
  if (cfg.is_none()) return {};
  const py::object fsdecode = py::module_::import("os").attr("fsdecode");
  if (py::isinstance<py::str>(cfg) || py::isinstance<py::bytes>(cfg) || py::hasattr(cfg, "__fspath__"))
    return {fsdecode(cfg).cast<std::string>()};
  std::vector<std::string> files;
  for (const auto& item : cfg) files.push_back(fsdecode(item).cast<std::string>());
  return files;
}

// One image through the network: what generate_tsv's job does for each image, batch of one.
py::dict extract_one(ExtractorState& state, const py::object& image, const py::object& boxes) {
  check_interrupt();
  const ImageInput input = image_input(image, "image array");
  torch::Tensor given;
  if (!boxes.is_none()) given = boxes_input(boxes, "boxes");
  FeatureRecord record;
  {
    py::gil_scoped_release no_gil;
    const PreparedImage prepared = prepare(input, state.options);
    std::lock_guard<std::mutex> lock(state.network);
    record = std::move(extract_features(state.model.detector, {prepared}, {input_id(input)}, state.options,
                                        {given}).at(0));
  }
  return record_to_dict(record);
}

const char* kExtractorDoc = R"(Extractor(net, device="cpu", dtype="fp32", min_boxes=10, max_boxes=100, conf_thresh=0.2,
          cfg=None, box_source="proposals", exif="apply")

A BUA checkpoint (import_caffemodel, train_net) loaded once on `device` ("cpu", "cuda", "cuda:N") in `dtype`
("fp32", "bf16"). The other arguments are generate_tsv's flags of the same names; `cfg` is a config file or a
list of them (--cfg). ex(image) returns exactly the record generate_tsv writes for the image, bit for bit.)";

const char* kCallDoc = R"(ex(image, boxes=None) -> dict

`image`: a path (str or os.PathLike) or a numpy uint8 array, H x W x 3 in B, G, R order (what cv2.imread
returns) or H x W grey. `boxes`: [K, 4] x1 y1 x2 y2 in image pixels: features for these boxes, in this order,
instead of the selected proposals. Returns {"image_id", "image_h", "image_w", "boxes" [N,4] float32,
"features" [N,D] float32, "objects_id" [N] int64, "objects_conf", "attrs_id", "attrs_conf"}; image_id is
generate_tsv's id of the file (None for an array). Raises bua.Error naming the file or argument.)";

const char* kManyDoc = R"(ex.extract_many(images, boxes=None, batch_images=4, decode_threads=2) -> iterator of dicts

The images (paths or arrays, as ex(image)) decoded ahead on `decode_threads` threads and run `batch_images` at a
time, as generate_tsv runs them; records come in input order. `boxes`: None, or one entry per image (None or
[K, 4]). An image that fails raises bua.Error naming it when its turn comes; iterating on continues with the
next. Ctrl-C stops between images.)";

}  // namespace

std::shared_ptr<ExtractorState> load_extractor(const ExtractorArgs& a) {
  auto state = std::make_shared<ExtractorState>();
  ExtractOptions& o = state->options;
  py::gil_scoped_release no_gil;
  o = extract_options(load_config(a.cfg_files));
  o.selection.min_boxes = a.min_boxes;
  o.selection.max_boxes = a.max_boxes;
  o.selection.conf_thresh = a.conf_thresh;
  check_selection_options(o.selection);  // before the checkpoint loads, as generate_tsv
  o.inference.dtype = parse_dtype(a.dtype);
  o.box_source = parse_box_source(a.box_source);
  o.image.exif = parse_exif_mode(a.exif);
  const torch::Device device = parse_device(a.device);
  // The process-wide settings of the tools: IEEE float32 on GPUs, Torch's CPU threads (OMP_NUM_THREADS, else
  // every CPU of the affinity mask) and the heap kept for the next image.
  static std::once_flag runtime_once;
  std::call_once(runtime_once, [] {
    use_exact_float32();
    setup_cpu_runtime();
  });
  state->model = load_model(a.net, device);
  state->model.checkpoint.state.clear();  // the detector holds the weights; the vocabularies stay
  prepare_for_inference(state->model.detector, o.inference.dtype, o.inference);
  return state;
}

void add_extractor(py::module_& m) {
  add_record_iterator(m);
  py::class_<ExtractorState, std::shared_ptr<ExtractorState>>(m, "Extractor", kExtractorDoc)
      .def(py::init([](const py::object& net, const std::string& device, const std::string& dtype, int64_t min_boxes,
                       int64_t max_boxes, double conf_thresh, const py::object& cfg, const std::string& box_source,
                       const std::string& exif) {
             ExtractorArgs a;
             a.net = py::module_::import("os").attr("fsdecode")(net).cast<std::string>();
             a.device = device, a.dtype = dtype, a.min_boxes = min_boxes, a.max_boxes = max_boxes;
             a.conf_thresh = conf_thresh, a.cfg_files = cfg_files(cfg), a.box_source = box_source, a.exif = exif;
             return load_extractor(a);
           }),
           py::arg("net"), py::arg("device") = "cpu", py::arg("dtype") = "fp32",
           py::arg("min_boxes") = 10, py::arg("max_boxes") = 100, py::arg("conf_thresh") = 0.2,
           py::arg("cfg") = py::none(), py::arg("box_source") = "proposals", py::arg("exif") = "apply")
      .def("__call__", &extract_one, kCallDoc, py::arg("image"), py::arg("boxes") = py::none())
      .def("extract_many", &extract_many, kManyDoc, py::arg("images"), py::arg("boxes") = py::none(),
           py::arg("batch_images") = 4, py::arg("decode_threads") = 2)
      .def_property_readonly(
          "classes", [](const ExtractorState& s) { return foreground_names(s.model.checkpoint.classes); },
          "the checkpoint's object classes; objects_id k is classes[k]")
      .def_property_readonly(
          "attributes", [](const ExtractorState& s) { return foreground_names(s.model.checkpoint.attributes); },
          "the checkpoint's attributes; attrs_id k is attributes[k]");
}

}  // namespace bua::python
