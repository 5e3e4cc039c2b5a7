// ex.extract_many(images): the images through the library's FeatureStream, as generate_tsv's job runs them
// (decoded ahead on threads, batch_images at a time), handed to Python one record dict per __next__.
#pragma once
#include <pybind11/pybind11.h>

#include "extractor.h"

namespace bua::python {

// The iterator ex.extract_many returns (bua._RecordIterator). GIL held.
pybind11::object extract_many(const std::shared_ptr<ExtractorState>& state, const pybind11::object& images,
                              const pybind11::object& boxes, int64_t batch_images, int decode_threads);

void add_record_iterator(pybind11::module_& m);

}  // namespace bua::python
