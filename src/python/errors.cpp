#include "errors.h"

#include <Python.h>

#include <exception>
#include <new>

#include "bua/util/error_text.h"
#include "module.h"

namespace py = pybind11;

namespace bua::python {
namespace {

PyObject* g_error_type = nullptr;  // bua.Error; one reference kept for the life of the process

}  // namespace

void check_interrupt() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void add_errors(py::module_& m) {
  g_error_type = PyErr_NewExceptionWithDoc(
      "bua.Error", "An error of the BUA library: the message names the file or argument and the problem.",
      PyExc_RuntimeError, nullptr);
  if (g_error_type == nullptr) throw py::error_already_set();
  m.add_object("Error", py::handle(g_error_type).inc_ref());  // the module takes a reference of its own
  // Tried before pybind11's default translator, which would show c10::Error's 30-frame trace.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const py::builtin_exception&) {
      throw;  // pybind11's TypeError, ValueError ...
    } catch (const std::bad_alloc&) {
      throw;  // MemoryError
    } catch (const std::exception& e) {
      PyErr_SetString(g_error_type, error_message(e).c_str());
    }
  });
}

}  // namespace bua::python
