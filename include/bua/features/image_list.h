// The images a feature run covers, from any of the inputs the original's load_image_ids hard-coded:
// a folder, a list file, Visual Genome's image_data.json, or a COCO annotation/info json.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace bua {

struct ImageEntry {
  std::string path;
  std::string id;  // written to the image_id column: an integer where the dataset has one, else the file stem
};

// Every file under `dir` (recursively) whose extension is one of `extensions` (case-insensitive), sorted by path.
std::vector<ImageEntry> list_image_dir(const std::string& dir,
                                       const std::vector<std::string>& extensions = {".jpg", ".jpeg", ".png", ".bmp"});
// One image per line: "path" or "path id"; relative paths are taken relative to `root` when given.
std::vector<ImageEntry> read_image_list(const std::string& list_file, const std::string& root = "");
// Visual Genome image_data.json: id = image_id, path = root / (url after "rak248/") as the original.
std::vector<ImageEntry> vg_image_entries(const std::string& image_data_json, const std::string& image_root);
// COCO json (instances_*.json or image_info_*.json): id = images[].id, path = root / images[].file_name.
std::vector<ImageEntry> coco_image_entries(const std::string& coco_json, const std::string& image_root);

// The id of an image file: the trailing digits of a COCO-style name (COCO_val2014_000000391895.jpg → 391895),
// an all-digit stem as an integer (000123.jpg → 123), otherwise the stem itself.
std::string image_id_from_path(const std::string& path);

// Entries whose image id repeats an earlier one (7.jpg and 007.jpg, sub/7.jpg, a list naming an id twice)
// would write two records with one id, which no reader accepts: the first of each id is kept, the later
// ones are returned with the reason, to be skipped and listed.
struct RepeatedId {
  ImageEntry entry;
  std::string reason;
};
std::vector<ImageEntry> drop_repeated_ids(std::vector<ImageEntry> entries, std::vector<RepeatedId>& repeats);

// Why `path` is not read as an image: "" for a regular file (after symbolic links), else what it is (a
// folder, a FIFO, a device, a symbolic link loop ...). Only regular files are opened: a FIFO blocks a
// reader, /dev/zero never ends.
std::string not_a_regular_file(const std::string& path);

// Deterministic shuffle then split, as the original multi-GPU run: the part `index` of `parts`.
std::vector<ImageEntry> shard_entries(std::vector<ImageEntry> entries, int index, int parts, unsigned seed, bool shuffle);

}  // namespace bua
