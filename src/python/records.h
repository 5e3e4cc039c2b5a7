// A feature record as Python sees it: a dict of numpy arrays with the names and types of generate_tsv's .npz
// (float32 boxes and features, int64 ids), built from the library's FeatureRecord. Needs the GIL.
#pragma once
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bua/io/feature_record.h"

namespace bua::python {

// {"image_id": str (None when empty: an image given as an array), "image_h": int, "image_w": int,
//  "boxes": [N,4] float32, "features": [N,D] float32, and where the record has them "objects_id" [N] int64,
//  "objects_conf" [N] float32, "attrs_id" [N] int64, "attrs_conf" [N] float32}.
pybind11::dict record_to_dict(const FeatureRecord& record);

// A checkpoint's class or attribute names without entry 0 (__background__, __no_attribute__): name k is the one
// of a record's objects_id / attrs_id k, which are 0-based without it.
std::vector<std::string> foreground_names(const std::vector<std::string>& names);

}  // namespace bua::python
