// generate_tsv --boxes FILE: features for boxes the user gives, {"image id": [[x1, y1, x2, y2], ...], ...}.
#pragma once
#include <torch/types.h>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace bua {

// More boxes than this for one image is refused: each box costs a 2048-d pool5 and a ROI pass, and a runaway
// file (200,000 boxes) would ask for tens of GB before failing.
constexpr std::size_t kMaxGivenBoxesPerImage = 10000;

// Reads the boxes file into image id → [N,4] float boxes in image pixels. Throws bua::Error naming the file
// (and the image id) for malformed JSON, an empty object (which would silently mean detection mode), an image
// without boxes or with more than kMaxGivenBoxesPerImage, and a box that is not 4 finite, ordered numbers
// within ±kMaxBoxCoordinate (util/box_check.h).
std::map<std::string, torch::Tensor> read_given_boxes(const std::string& path);

// Throws bua::Error naming `where` unless 1 <= count <= kMaxGivenBoxesPerImage.
void check_given_box_count(std::size_t count, const std::string& where);
// One image's given boxes from 4 coordinates (x1, y1, x2, y2) per box, with the checks of read_given_boxes:
// [N,4] float32 in image pixels. Shared by the boxes file and the Python module's boxes= argument.
torch::Tensor given_boxes_tensor(const std::vector<double>& xyxy, const std::string& where);

}  // namespace bua
