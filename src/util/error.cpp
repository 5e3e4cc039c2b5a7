#include "bua/util/error.h"

namespace bua {

void fail(const std::string& where, const std::string& what) { throw Error(where + ": " + what); }

}  // namespace bua
