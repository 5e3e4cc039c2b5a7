// The images and boxes Python hands to the extractor, taken apart while the GIL is held so that the network
// and the decoding threads can work on them without it.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "bua/features/extractor.h"

namespace bua::python {

// A path (str, bytes or os.PathLike) or a numpy uint8 array: H x W x 3 in B, G, R order (what cv2.imread
// returns) or H x W grey. An array is held, not copied: keep the ImageInput alive, and destroy it with the GIL.
struct ImageInput {
  std::string name;  // for messages: the path, or "image array" / "images[3]"
  std::string path;  // empty for an array
  pybind11::array pixels;  // C-contiguous uint8; not touched by prepare()
  const uint8_t* data = nullptr;
  int64_t height = 0, width = 0, channels = 0;
  bool is_file() const { return !path.empty(); }
};

// Throws bua::Error naming `name` for an array of another dtype or shape, TypeError for anything else. GIL held.
ImageInput image_input(pybind11::handle image, const std::string& name);

// The image ready for extract_features, decoded or copied from the array (no GIL needed). Throws bua::Error
// naming the file or `name`.
PreparedImage prepare(const ImageInput& image, const ExtractOptions& options);

// The record's image_id for an input: what generate_tsv --images writes for a file (image_id_from_path), empty
// for an array.
std::string input_id(const ImageInput& image);

// boxes= of the extractor: anything numpy reads as a [K,4] array of numbers, x1 y1 x2 y2 in image pixels, checked
// as generate_tsv --boxes checks a file's (given_boxes_tensor). Throws bua::Error naming `name`. GIL held.
torch::Tensor boxes_input(pybind11::handle boxes, const std::string& name);

}  // namespace bua::python
