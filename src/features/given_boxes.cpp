#include "bua/features/given_boxes.h"

#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bua/util/box_check.h"
#include "bua/util/error.h"

namespace bua {

std::map<std::string, torch::Tensor> read_given_boxes(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open boxes file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object()) fail(path, "expected an object mapping image ids to lists of [x1, y1, x2, y2]");
  // An empty map would leave given_boxes empty, which means detection mode: not what --boxes asked for.
  if (j.empty()) fail(path, "no images: the boxes file must map at least one image id to its boxes");
  std::map<std::string, torch::Tensor> out;
  for (const auto& [id, list] : j.items()) {
    const std::string where = path + " (image " + id + ")";
    if (!list.is_array()) fail(where, "expected a list of boxes");
    check_given_box_count(list.size(), where);  // before reading 200,000 boxes of a runaway file
    std::vector<double> xyxy;
    xyxy.reserve(list.size() * 4);
    for (const auto& box : list) {
      if (!box.is_array() || box.size() != 4) fail(where, "each box must be [x1, y1, x2, y2]");
      for (size_t k = 0; k < 4; ++k) {
        if (!box[k].is_number()) fail(where, "box coordinates must be numbers");
        xyxy.push_back(box[k].get<double>());
      }
    }
    out[id] = given_boxes_tensor(xyxy, where);
  }
  return out;
}

void check_given_box_count(std::size_t count, const std::string& where) {
  if (count == 0) fail(where, "no boxes");
  if (count > kMaxGivenBoxesPerImage)
    fail(where, std::to_string(count) + " boxes, more than the " + std::to_string(kMaxGivenBoxesPerImage) +
                    " allowed per image");
}

torch::Tensor given_boxes_tensor(const std::vector<double>& xyxy, const std::string& where) {
  if (xyxy.size() % 4 != 0) fail(where, "each box must be [x1, y1, x2, y2]");
  check_given_box_count(xyxy.size() / 4, where);
  std::vector<float> v;
  v.reserve(xyxy.size());
  for (size_t b = 0; b < xyxy.size() / 4; ++b) {
    const double* box = &xyxy[4 * b];
    // Checked as doubles: 1e39 would become inf only in the float conversion below.
    const std::string problem = box_problem(box[0], box[1], box[2], box[3]);
    if (!problem.empty()) fail(where, "box " + std::to_string(b) + ": " + problem);
    for (size_t k = 0; k < 4; ++k) v.push_back(static_cast<float>(box[k]));
  }
  return torch::tensor(v).view({-1, 4});
}

}  // namespace bua
