// Visual Genome ground truth for training and evaluation, as the original lib/datasets/vg.py builds its
// roidb: a split file names the images, each image's XML (from setup_vg) gives its objects, which keep
// only names in the vocabulary. Plain structs; no Torch.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bua/data/vocab.h"

namespace bua {

inline constexpr int kMaxAttributesPerObject = 16;  // "Max of 16 attributes are observed in the data"

using BoxF = std::array<float, 4>;  // x1, y1, x2, y2; inclusive pixel coordinates

// One image of the roidb.
struct VgRecord {
  int64_t image_id = 0;
  std::string image_path;
  int width = 0, height = 0;
  bool flipped = false;
  // Clipped to [0, W-1] x [0, H-1] and truncated to integers (the original stores uint16). A box left
  // with x2 < x1 or y2 < y1 by the clip becomes (0, 0, W-1, W-1): the width in y2 too, as the original.
  std::vector<BoxF> boxes;
  std::vector<int32_t> classes;  // 1..num_classes-1
  // Up to 16 attribute indices per object in XML order, 0-padded (0 = no attribute).
  std::vector<std::array<int32_t, kMaxAttributesPerObject>> attributes;
  // (subject object index, predicate index, object index), without duplicates.
  std::vector<std::array<int32_t, 3>> relations;
};

struct VgVocabularies {
  Vocab classes, attributes, relations;
};

// Where a dataset's files are.
struct VgDatasetPaths {
  std::string name;  // e.g. vg_1600-400-20_train; names the cache file
  std::string objects_vocab, attributes_vocab, relations_vocab;
  std::string split_file;        // "<image file> <annotation file>" lines
  std::string xml_dir;           // <image_id>.xml per image (images without one have no object)
  std::string image_root;        // image files are image_root/<image file>
  int64_t max_split_lines = -1;  // minitrain / minival: only the first 1000 / 100 lines
};

// Resolves a name the way the original's dataset factory does: vg_<version>_<split> with split in
// train, val, test, minitrain (first 1000 lines of train.txt), minival (first 100 of val.txt), or any
// other name of a split file. Under `data_root`: genome/<version>/{objects,attributes,relations}_vocab.txt,
// genome/<split>.txt, genome/xml/, images under vg/.
VgDatasetPaths resolve_vg_dataset(const std::string& name, const std::string& data_root = "data");

struct VgLoadOptions {
  std::string cache_dir;         // where the binary cache goes; empty: no cache
  bool size_from_image = false;  // take width/height from the image file's header (as the original,
                                 // which opens each image) instead of the XML's <size>
  bool progress = true;
};

struct VgLoadReport {
  int64_t split_lines = 0;          // images named by the split file (after max_split_lines)
  int64_t missing_annotations = 0;  // no XML (setup_vg writes none for an image without objects)
  int64_t without_objects = 0;      // XML whose objects are all out of the vocabulary
  int64_t replaced_boxes = 0;       // boxes replaced by (0, 0, W-1, W-1)
  int64_t size_mismatches = 0;      // size_from_image: images whose XML <size> differs from the image file
  bool from_cache = false;
};

struct VgDataset {
  std::string name;
  VgVocabularies vocab;
  std::vector<VgRecord> records;  // in split-file order
  VgLoadReport report;
};

VgVocabularies load_vg_vocabularies(const VgDatasetPaths& paths);

// Loads the split: from the cache when it is there and its inputs have not changed, else from the XML
// files (then writes the cache). Needs pugixml (defined in vg_xml_dataset.cpp).
VgDataset load_vg_dataset(const VgDatasetPaths& paths, const VgLoadOptions& options = {});
// The same by name (see resolve_vg_dataset), e.g. load_vg_dataset("vg_1600-400-20_train", "data", {...}).
VgDataset load_vg_dataset(const std::string& name, const std::string& data_root, const VgLoadOptions& options = {});

// --- the rules, on one image ---------------------------------------------------------------------

// An object as its XML gives it.
struct VocObjectText {
  std::string name;
  std::string object_id;
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  std::vector<std::string> attributes;
};
struct VocRelationText {
  std::string subject_id, object_id;
  std::string predicate;  // empty when the element has no text
};
struct VocFileAnnotation {
  int width = -1, height = -1;  // -1 when <size> lacks them
  std::vector<VocObjectText> objects;
  std::vector<VocRelationText> relations;
};

// Reads one annotation XML (needs pugixml, defined in vg_xml_dataset.cpp). Throws bua::Error naming the
// file and the element when it is not well-formed or a coordinate is not a number.
VocFileAnnotation read_voc_annotation(const std::string& path);

// Applies vg.py's rules (vocabulary filter, clip, box replacement, 16 attributes, relation triples).
// The record has no objects when none is in the vocabulary. `replaced` counts replaced boxes.
VgRecord make_vg_record(const VocFileAnnotation& annotation, const VgVocabularies& vocab, int width, int height,
                        int64_t* replaced = nullptr);

// The record for an image of another size than the one its boxes were clipped to (the decoded image when it
// differs from the metadata): boxes clipped again to [0, W-1] x [0, H-1] under make_vg_record's rule, a
// box left empty becoming (0, 0, W-1, W-1). `replaced` counts those.
VgRecord clipped_to_size(const VgRecord& record, int width, int height, int64_t* replaced = nullptr);

// The same record mirrored left-right: x1' = W-1-x2, x2' = W-1-x1.
VgRecord flipped_record(const VgRecord& record);
// Appends a flipped copy of every record (the original's append_flipped_images).
void append_flipped(std::vector<VgRecord>& records);

// Width and height from a JPEG or PNG header, without decoding; throws bua::Error naming the file.
std::array<int, 2> image_size_from_header(const std::string& path);

}  // namespace bua
