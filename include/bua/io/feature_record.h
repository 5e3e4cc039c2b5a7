// One image's extracted features, as a row of a feature TSV or one .npz file holds them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bua/io/npz.h"

namespace bua {

struct FeatureRecord {
  std::string image_id;
  int64_t image_w = 0;
  int64_t image_h = 0;
  int64_t num_boxes = 0;
  std::vector<float> boxes;      // [num_boxes * 4], x1 y1 x2 y2 in original image pixels
  std::vector<float> features;   // [num_boxes * feature_dim], row-major
  // Detected class / attribute per box and their confidences (the LXMERT layout); all four empty when
  // the source did not record them (the original layout).
  std::vector<int64_t> objects_id;
  std::vector<float> objects_conf;
  std::vector<int64_t> attrs_id;
  std::vector<float> attrs_conf;

  int64_t feature_dim() const;  // features.size() / num_boxes; 0 without boxes
  bool has_objects() const;     // the four object/attribute fields are filled

  // Throws bua::Error "<where>: image <id>: ..." when a size disagrees with num_boxes (boxes N*4,
  // features a multiple of N, each object/attribute field N or all four empty) or the id is empty.
  void validate(const std::string& where) const;

  // Float arrays compare bitwise (as the bytes in a file would).
  bool operator==(const FeatureRecord& other) const;
  bool operator!=(const FeatureRecord& other) const { return !(*this == other); }
};

// How the features of an .npz are laid out: [N, D] (boxes first, what the Python ports write) or [D, N]
// (features first, as the original's features reach MCAN/OpenVQA, whose loaders transpose x back).
enum class NpzLayout { kBoxesFirst, kFeaturesFirst };

// One image per .npz, loadable with np.load(allow_pickle=False). Members: x [N, D] float32 (the features;
// [D, N] in the features-first layout),
// bbox [N, 4] float32, num_bbox, image_h, image_w (int64 scalars), and objects_id [N] int64,
// objects_conf [N] float32, attrs_id [N] int64, attrs_conf [N] float32 when the record has them.
// The image id is the file name: <dir>/<image_id>.npz.
NpzArchive to_npz(const FeatureRecord& record, NpzLayout layout = NpzLayout::kBoxesFirst);
// Reads those members (x and bbox may be float64; other members, such as a pickled `info`, are ignored).
// The layout of x follows from its shape; when N == D, boxes first.
FeatureRecord from_npz(const NpzArchive& archive, const std::string& image_id);
void write_feature_npz(const std::string& path, const FeatureRecord& record,
                       NpzLayout layout = NpzLayout::kBoxesFirst);
FeatureRecord read_feature_npz(const std::string& path);  // image id: the file name without ".npz"

// A row-major [rows, cols] matrix as [cols, rows].
std::vector<float> transposed(const std::vector<float>& matrix, int64_t rows, int64_t cols);

// <dir>/<image_id>.npz; throws when the id cannot be a file name (empty, '/', "." or "..").
std::string feature_npz_path(const std::string& dir, const std::string& image_id);
// The .npz files of a folder, sorted by name.
std::vector<std::string> list_feature_npz(const std::string& dir);

}  // namespace bua
