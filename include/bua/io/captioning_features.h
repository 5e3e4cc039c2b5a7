// The layout of ruotianluo/self-critical.pytorch (scripts/make_bu_data.py), read by its dataloader with
// np.load(<dir>_att/<id>.npz)['feat'], np.load(<dir>_fc/<id>.npy) and np.load(<dir>_box/<id>.npy):
//   <prefix>_att/<id>.npz  feat [N, D] float32 (plus image_w, image_h, which that loader ignores and a
//                          conversion back needs)
//   <prefix>_fc/<id>.npy   [D] float32, the mean of the N features (summed in float32 as numpy does)
//   <prefix>_box/<id>.npy  [N, 4] float32, x1 y1 x2 y2 in image pixels
// Each file is written whole (temp file, then rename); an image is present once its three files are.
#pragma once
#include <string>
#include <vector>

#include "bua/io/feature_record.h"

namespace bua {

struct CaptioningDirs {
  std::string att, fc, box;
};

CaptioningDirs captioning_dirs(const std::string& prefix);  // <prefix>_att, <prefix>_fc, <prefix>_box
// Whether <prefix>_att is a folder (how a path names a captioning output).
bool is_captioning_prefix(const std::string& prefix);

// The mean feature of make_bu_data: np.mean(feat, axis=0) over float32 rows.
std::vector<float> mean_feature(const FeatureRecord& record);

// Creates the three folders when missing.
void create_captioning_dirs(const CaptioningDirs& dirs);
// Writes the box, fc and att files of one image (att last: its presence marks the image done).
void write_captioning_record(const CaptioningDirs& dirs, const FeatureRecord& record);
// Reads one image back; throws bua::Error naming the file when a member is missing or sizes disagree.
FeatureRecord read_captioning_record(const CaptioningDirs& dirs, const std::string& image_id);
// Ids with all three files, sorted by name.
std::vector<std::string> list_captioning_ids(const CaptioningDirs& dirs);

}  // namespace bua
