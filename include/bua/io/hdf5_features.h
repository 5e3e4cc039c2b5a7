// Feature files in the HDF5 layouts of the VQA models:
//  - fixed (hengyuan-hu/bottom-up-attention-vqa, tools/detection_features_converter.py): float32 datasets
//    image_features [N,K,D], image_bb [N,K,4], spatial_features [N,K,6], every image with exactly K boxes;
//  - adaptive (jnhwkim/ban-vqa): the boxes of all images one after the other, image_features [T,D],
//    image_bb [T,4], spatial_features [T,6], and pos_boxes [N,2] int32 = each image's rows [start, end).
// spatial_features = (x1/W, y1/H, x1/W + w/W, y1/H + h/H, w/W, h/H) with w = x2 - x1, h = y2 - y1, in
// float32 as the converters compute them. Beside the file, `<name>_imgid2idx.pkl` maps image id → image row.
// What the consumers ignore makes the file a complete record store (round trips, resume): image_ids,
// image_w, image_h per image, objects_id/objects_conf/attrs_id/attrs_conf per box when the records have them.
//
// Writing is incremental (chunked, compressed, extended per image), so memory stays one record whatever the
// collection. Rows go to `<path>.partial`; every so often the count of rows written so far is recorded in
// the file and flushed, and a resumed run continues from that count (later rows are written again). The
// final name and the .pkl appear only when the run finishes. Built without libhdf5, every call throws.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bua/io/feature_record.h"

namespace bua {

enum class Hdf5Layout { kFixed, kAdaptive };

bool hdf5_available();  // libhdf5 was found at build time

// The first bytes of an HDF5 file (at offset 0, where we and h5py write it).
bool looks_like_hdf5(const std::string& path);

class Hdf5FeatureWriter {
 public:
  // `resume`: continue `<path>.partial` (or a finished `path`: this run then adds to it) where it was left,
  // and keep the partial file for the next run when destroyed unfinished. Otherwise start afresh and remove
  // the partial file when destroyed unfinished (a finished file is replaced only when finish() succeeds).
  // `flush_rows`: record the count and flush after this many images (and at least every 2 s).
  Hdf5FeatureWriter(std::string path, Hdf5Layout layout, bool resume, int64_t flush_rows = 256);
  ~Hdf5FeatureWriter();
  Hdf5FeatureWriter(const Hdf5FeatureWriter&) = delete;
  Hdf5FeatureWriter& operator=(const Hdf5FeatureWriter&) = delete;

  const std::vector<std::string>& ids() const { return ids_; }  // images in the file, in row order
  // Appends one image. kFixed: every image must have the first one's box count. Throws bua::Error naming
  // the file and the image (sizes, a write that fails: disk full).
  void write(const FeatureRecord& record);
  // Flushes, closes, writes the .pkl and renames the file to its final name.
  void finish();

 private:
  struct File;
  bool reopen();  // resumes partial_; false when it holds nothing worth keeping
  std::string path_, partial_;
  Hdf5Layout layout_;
  int64_t flush_rows_;
  bool resume_;
  std::unique_ptr<File> file_;
  std::vector<std::string> ids_;
};

// Reads the records of a file written by Hdf5FeatureWriter, one image at a time.
class Hdf5FeatureReader {
 public:
  explicit Hdf5FeatureReader(const std::string& path);
  ~Hdf5FeatureReader();
  Hdf5FeatureReader(const Hdf5FeatureReader&) = delete;
  Hdf5FeatureReader& operator=(const Hdf5FeatureReader&) = delete;

  int64_t size() const { return rows_; }
  Hdf5Layout layout() const { return layout_; }
  FeatureRecord read(int64_t row) const;  // throws bua::Error naming the file and the row

 private:
  struct File;
  std::string path_;
  Hdf5Layout layout_ = Hdf5Layout::kFixed;
  int64_t rows_ = 0;
  std::unique_ptr<File> file_;
};

}  // namespace bua
