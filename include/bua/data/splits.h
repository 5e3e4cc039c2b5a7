// Visual Genome train/val/test splits (the original data/genome/create_splits.py) and split files:
// one line per image, "<folder>/<file>.jpg xml/<file>.xml", e.g. "VG_100K/123.jpg xml/123.xml".
// COCO images of the Karpathy val/test splits (and of COCO test2014) are kept out of train, so features
// trained on VG can be used for captioning/VQA on COCO without contamination.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

namespace bua {

struct SplitEntry {
  std::string image_file;       // relative to the image root, e.g. "VG_100K/123.jpg"
  std::string annotation_file;  // relative to the annotation root, e.g. "xml/123.xml"
  int64_t image_id = 0;         // from the annotation's file name, as the original loader takes it
};

// Reads a split file (the original release's files as they are). Blank lines are skipped; a line that
// is not two fields, or whose annotation name is not "<integer>.<ext>", is an error naming file and line.
std::vector<SplitEntry> read_split_file(const std::string& path);
void write_split_file(const std::string& path, const std::vector<SplitEntry>& entries);

// Karpathy split lists as the original ships them ("val2014/COCO_val2014_000000253964.jpg 253964"):
// the COCO id is the digits after the last '_' before the first '.'.
std::unordered_set<int64_t> read_karpathy_list(const std::string& path);
// COCO's image_info_test2014.json: the "id" of each entry of "images".
std::unordered_set<int64_t> read_coco_image_ids(const std::string& path);

struct CreateSplitsOptions {
  std::string image_data;  // VG image_data.json
  std::string out_dir;     // train.txt, val.txt, test.txt go here
  int64_t val_size = 5000;
  int64_t test_size = 5000;
  uint64_t seed = 10;                                                  // the original's random.seed(10)
  std::string karpathy_train, karpathy_val, karpathy_test, coco_test;  // optional lists
  bool overwrite = false;  // replace existing split files (else they are an error)
};

struct CreateSplitsResult {
  int64_t images = 0;
  int64_t train = 0, val = 0, test = 0;
  int64_t with_coco_id = 0;
  int64_t in_karpathy_train = 0, in_karpathy_val = 0, in_karpathy_test = 0, in_coco_test = 0;
};

// Images whose COCO id is in Karpathy train go to train, Karpathy val to val, Karpathy test or COCO
// test to test; the rest are shuffled (Python's generator, seeded) and fill test, then val, from the
// end; train keeps what is left. Each split is written in image_data order, shuffled again. With the
// default seed and the original's lists this is the original's procedure step by step.
CreateSplitsResult create_splits(const CreateSplitsOptions& options);

}  // namespace bua
