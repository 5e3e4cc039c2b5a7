#include "image_input.h"

#include <vector>

#include "bua/features/given_boxes.h"
#include "bua/features/image_list.h"
#include "bua/util/error.h"

namespace py = pybind11;

namespace bua::python {
namespace {

std::string shape_text(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

}  // namespace

ImageInput image_input(py::handle image, const std::string& name) {
  ImageInput in;
  in.name = name;
  if (!py::isinstance<py::array>(image)) {
    if (!py::isinstance<py::str>(image) && !py::isinstance<py::bytes>(image) && !py::hasattr(image, "__fspath__"))
      throw py::type_error(name + ": expected a path (str or os.PathLike) or a numpy uint8 array, got " +
                           std::string(py::str(py::type::of(image).attr("__name__"))));
    const py::object path = py::module_::import("os").attr("fsdecode")(image);
    in.path = path.cast<std::string>();
    in.name = in.path;
    if (in.path.empty()) fail(name, "empty path");
    return in;
  }
  const auto a = py::reinterpret_borrow<py::array>(image);
  if (a.dtype().kind() != 'u' || a.itemsize() != 1)
    fail(name, "expected a uint8 array (what cv2.imread returns), got dtype " + std::string(py::str(a.dtype())));
  const bool grey = a.ndim() == 2 || (a.ndim() == 3 && a.shape(2) == 1);
  if (!grey && !(a.ndim() == 3 && a.shape(2) == 3))
    fail(name, "expected shape (H, W, 3) in B, G, R order or (H, W) grey, got " + shape_text(a));
  // A view with strides (img[:, ::-1]) is copied into rows; a contiguous array is taken as it is.
  in.pixels = py::array_t<uint8_t, py::array::c_style>::ensure(a);
  if (!in.pixels) throw py::error_already_set();
  in.data = static_cast<const uint8_t*>(in.pixels.data());
  in.height = a.shape(0);
  in.width = a.shape(1);
  in.channels = grey ? 1 : 3;
  return in;
}

PreparedImage prepare(const ImageInput& image, const ExtractOptions& options) {
  if (image.is_file()) return prepare_image_file(image.path, options);
  const cv::Mat bgr = image_from_pixels(image.data, image.height, image.width, image.channels, image.name);
  try {
    return prepare_image(bgr, options);
  } catch (const Error& e) {
    fail(image.name, e.what());  // "image array: image of 2x1 pixels: too small ..."
  }
}

std::string input_id(const ImageInput& image) { return image.is_file() ? image_id_from_path(image.path) : ""; }

torch::Tensor boxes_input(py::handle boxes, const std::string& name) {
  py::array_t<double, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(boxes);
  } catch (const py::error_already_set&) {
  }
  if (!a) {
    PyErr_Clear();
    fail(name, "expected numbers [[x1, y1, x2, y2], ...]");
  }
  if (a.ndim() != 2 || a.shape(1) != 4)
    fail(name, "expected an array of shape (K, 4), x1 y1 x2 y2 in image pixels, got " + shape_text(a));
  const std::vector<double> xyxy(a.data(), a.data() + a.size());
  return given_boxes_tensor(xyxy, name);
}

}  // namespace bua::python
