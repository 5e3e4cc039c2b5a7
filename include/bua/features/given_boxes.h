// generate_tsv --boxes FILE: features for boxes the user gives, {"image id": [[x1, y1, x2, y2], ...], ...}.
#pragma once
#include <torch/types.h>

#include <cstddef>
#include <map>
#include <string>

namespace bua {

// More boxes than this for one image is refused: each box costs a 2048-d pool5 and a ROI pass, and a runaway
// file (200,000 boxes) would ask for tens of GB before failing.
constexpr std::size_t kMaxGivenBoxesPerImage = 10000;

// Reads the boxes file into image id → [N,4] float boxes in image pixels. Throws bua::Error naming the file
// (and the image id) for malformed JSON, an empty object (which would silently mean detection mode), an image
// without boxes or with more than kMaxGivenBoxesPerImage, and a box that is not 4 finite, ordered numbers
// within ±kMaxBoxCoordinate (util/box_check.h).
std::map<std::string, torch::Tensor> read_given_boxes(const std::string& path);

}  // namespace bua
