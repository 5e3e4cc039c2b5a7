// The Python module `bua` over the library. Each file adds one part of it to the module object; bua_module.cpp
// puts them together.
#pragma once
#include <pybind11/pybind11.h>

namespace bua::python {

void add_errors(pybind11::module_& m);     // bua.Error and the translation of C++ exceptions (errors.cpp)
void add_extractor(pybind11::module_& m);  // bua.Extractor (extractor.cpp)
void add_readers(pybind11::module_& m);    // bua.read_features, bua.vocab, bua.read_image (readers.cpp)

}  // namespace bua::python
