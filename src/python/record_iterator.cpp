#include "record_iterator.h"

#include <memory>
#include <vector>

#include "bua/features/stream.h"
#include "bua/util/error.h"
#include "errors.h"
#include "image_input.h"
#include "records.h"

namespace py = pybind11;

namespace bua::python {
namespace {

class RecordIterator {
 public:
  RecordIterator(std::shared_ptr<ExtractorState> state, std::vector<ImageInput> inputs,
                 std::vector<torch::Tensor> boxes, int64_t batch_images, int decode_threads)
      : state_(std::move(state)), inputs_(std::move(inputs)), boxes_(std::move(boxes)) {
    std::vector<std::string> ids;
    for (const auto& in : inputs_) ids.push_back(input_id(in));
    std::function<torch::Tensor(size_t)> given;
    if (!boxes_.empty()) given = [this](size_t i) { return boxes_[i]; };
    // The decoding threads read the inputs without the GIL; the arrays stay referenced until the stream is gone.
    stream_ = std::make_unique<FeatureStream>(
        state_->model.detector, std::move(ids), [this](size_t i) { return prepare(inputs_[i], state_->options); },
        given, state_->options, batch_images, decode_threads);
  }
  ~RecordIterator() { stream_.reset(); }  // joins the decoding threads before the inputs go

  py::dict next() {
    check_interrupt();  // Ctrl-C between images, also when list() or a C loop drives the iteration
    StreamedRecord item;
    bool more;
    {
      py::gil_scoped_release no_gil;
      std::lock_guard<std::mutex> lock(state_->network);
      more = stream_->next(item);
    }
    if (!more) throw py::stop_iteration();
    if (!item.ok()) throw Error(item.error);  // names the file or images[i]
    return record_to_dict(item.record);
  }

 private:
  std::shared_ptr<ExtractorState> state_;
  std::vector<ImageInput> inputs_;
  std::vector<torch::Tensor> boxes_;
  std::unique_ptr<FeatureStream> stream_;
};

}  // namespace

py::object extract_many(const std::shared_ptr<ExtractorState>& state, const py::object& images,
                        const py::object& boxes, int64_t batch_images, int decode_threads) {
  std::vector<ImageInput> inputs;
  for (const auto& image : images) inputs.push_back(image_input(image, "images[" + std::to_string(inputs.size()) + "]"));
  std::vector<torch::Tensor> given;
  if (!boxes.is_none()) {
    for (const auto& b : boxes) {
      const std::string name = "boxes[" + std::to_string(given.size()) + "]";
      given.push_back(b.is_none() ? torch::Tensor() : boxes_input(b, name));
    }
    if (given.size() != inputs.size())
      fail("boxes", std::to_string(given.size()) + " entries for " + std::to_string(inputs.size()) +
                        " images (one per image, None for the proposals)");
  }
  return py::cast(std::make_unique<RecordIterator>(state, std::move(inputs), std::move(given), batch_images,
                                                   decode_threads));
}

void add_record_iterator(py::module_& m) {
  py::class_<RecordIterator>(m, "_RecordIterator", "the records of ex.extract_many, in input order")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &RecordIterator::next);
}

}  // namespace bua::python
