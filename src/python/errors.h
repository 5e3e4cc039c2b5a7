// C++ errors in Python: every exception the library throws reaches Python as bua.Error (a RuntimeError) with
// the line a tool would print (bua::error_message), never a LibTorch stack trace; pybind11's own TypeError and
// the like, and MemoryError, stay what they are.
#pragma once

namespace bua::python {

// Throws pybind11::error_already_set when a signal handler raised (Ctrl-C: KeyboardInterrupt). Called between
// images, with the GIL held.
void check_interrupt();

}  // namespace bua::python
