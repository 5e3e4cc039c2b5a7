#include "records.h"

#include <pybind11/numpy.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bua/util/error.h"

namespace py = pybind11;

namespace bua::python {
namespace {

// A numpy copy of `values` with `shape`; a record whose sizes disagree is refused, never read past its end.
template <typename T>
py::array_t<T> to_array(const std::vector<T>& values, std::vector<py::ssize_t> shape, const FeatureRecord& r,
                        const char* name) {
  py::array_t<T> a(shape);
  if (static_cast<size_t>(a.size()) != values.size())
    fail("image " + r.image_id, std::string(name) + " holds " + std::to_string(values.size()) + " values for " +
                                    std::to_string(r.num_boxes) + " boxes");
  std::copy(values.begin(), values.end(), a.mutable_data());
  return a;
}

}  // namespace

py::dict record_to_dict(const FeatureRecord& r) {
  py::dict d;
  d["image_id"] = r.image_id.empty() ? py::object(py::none()) : py::object(py::str(r.image_id));
  d["image_h"] = r.image_h;
  d["image_w"] = r.image_w;
  const py::ssize_t n = r.num_boxes;
  d["boxes"] = to_array(r.boxes, {n, 4}, r, "boxes");
  d["features"] = to_array(r.features, {n, static_cast<py::ssize_t>(r.feature_dim())}, r, "features");
  // The original TSV layout has no object fields: absent rather than arrays of the wrong length.
  if (r.has_objects()) {
    d["objects_id"] = to_array(r.objects_id, {n}, r, "objects_id");
    d["objects_conf"] = to_array(r.objects_conf, {n}, r, "objects_conf");
    d["attrs_id"] = to_array(r.attrs_id, {n}, r, "attrs_id");
    d["attrs_conf"] = to_array(r.attrs_conf, {n}, r, "attrs_conf");
  }
  return d;
}

}  // namespace bua::python

namespace bua::python {

std::vector<std::string> foreground_names(const std::vector<std::string>& names) {
  return names.empty() ? names : std::vector<std::string>(names.begin() + 1, names.end());
}

}  // namespace bua::python
