// The detector's options: the keys and defaults of the original lib/fast_rcnn/config.py, with members
// named exactly like its keys (cfg.TRAIN.SCALES, cfg.TEST.RPN_POST_NMS_TOP_N) so its yml files and
// --set lines carry over unchanged. Defaults are config.py's; experiments/cfgs/*.yml override them.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace bua {

struct TrainConfig {
  std::vector<int> SCALES{600};  // shortest side of the scaled image; one picked per image
  int MAX_SIZE = 1000;           // cap on the longest side of the scaled image
  int IMS_PER_BATCH = 2;
  int BATCH_SIZE = 128;  // ROIs per minibatch
  double FG_FRACTION = 0.25;
  double FG_THRESH = 0.5;     // ROI is foreground if IoU >= FG_THRESH
  double BG_THRESH_HI = 0.5;  // ROI is background if IoU in [LO, HI)
  double BG_THRESH_LO = 0.1;
  bool USE_FLIPPED = true;
  bool BBOX_REG = true;
  double BBOX_THRESH = 0.5;  // IoU a ROI needs to be a box-regression example
  int SNAPSHOT_ITERS = 10000;
  std::string SNAPSHOT_INFIX;
  bool USE_PREFETCH = false;
  bool BBOX_NORMALIZE_TARGETS = true;
  std::vector<double> BBOX_INSIDE_WEIGHTS{1.0, 1.0, 1.0, 1.0};
  bool BBOX_NORMALIZE_TARGETS_PRECOMPUTED = false;
  std::vector<double> BBOX_NORMALIZE_MEANS{0.0, 0.0, 0.0, 0.0};
  std::vector<double> BBOX_NORMALIZE_STDS{0.1, 0.1, 0.2, 0.2};
  bool RPN_NORMALIZE_TARGETS = false;
  std::vector<double> RPN_NORMALIZE_MEANS{0.0, 0.0, 0.0, 0.0};
  std::vector<double> RPN_NORMALIZE_STDS{0.1, 0.1, 0.2, 0.2};
  std::string PROPOSAL_METHOD = "selective_search";
  bool ASPECT_GROUPING = true;
  bool HAS_RPN = false;
  double RPN_POSITIVE_OVERLAP = 0.7;  // anchor IoU >= this: positive
  double RPN_NEGATIVE_OVERLAP = 0.3;  // anchor IoU < this: negative
  bool RPN_CLOBBER_POSITIVES = false;
  double RPN_FG_FRACTION = 0.5;
  int RPN_BATCHSIZE = 256;
  double RPN_NMS_THRESH = 0.7;
  int RPN_PRE_NMS_TOP_N = 12000;
  int RPN_POST_NMS_TOP_N = 2000;
  int RPN_MIN_SIZE = 16;  // at original image scale
  std::vector<double> RPN_BBOX_INSIDE_WEIGHTS{1.0, 1.0, 1.0, 1.0};
  double RPN_POSITIVE_WEIGHT = -1.0;  // -1: uniform example weighting
  bool AGNOSTIC = false;
  bool HAS_ATTRIBUTES = false;
  bool HAS_RELATIONS = false;
  double MIN_RELATION_FRACTION = 0.25;
};

struct TestConfig {
  std::vector<int> SCALES{600};
  int MAX_SIZE = 1000;
  double NMS = 0.3;  // suppress boxes with IoU >= NMS
  int SOFT_NMS = 0;  // 0: standard NMS, 1: soft-NMS linear, 2: soft-NMS Gaussian
  bool SVM = false;
  bool BBOX_REG = true;
  bool HAS_RPN = false;
  std::string PROPOSAL_METHOD = "selective_search";
  double RPN_NMS_THRESH = 0.7;
  int RPN_PRE_NMS_TOP_N = 6000;
  int RPN_POST_NMS_TOP_N = 300;
  int RPN_MIN_SIZE = 16;
  bool AGNOSTIC = false;
  bool HAS_ATTRIBUTES = false;
  bool HAS_RELATIONS = false;
};

struct Config {
  TrainConfig TRAIN;
  TestConfig TEST;
  double DEDUP_BOXES = 1.0 / 16.0;
  std::vector<double> PIXEL_MEANS{102.9801, 115.9465, 122.7717};  // BGR
  int RNG_SEED = 3;
  double EPS = 1e-14;
  // config.py derives these from its own location; ours are relative to the working directory.
  std::string ROOT_DIR = ".";
  std::string DATA_DIR = "data";
  std::string MODELS_DIR = "models/pascal_voc";
  std::string MATLAB = "matlab";
  std::string EXP_DIR = "default";
  bool USE_GPU_NMS = true;
  int GPU_ID = 0;
};

// Defaults, then each yml file in order (like cfg_from_file), then each (KEY, VALUE) pair (like
// cfg_from_list; KEY is dotted, VALUE is parsed as YAML: "[480]", "false", "0.5").
// Rules: only known keys; a section (TRAIN, TEST) must be a map; a value must fit the member's type
// (an int is accepted for a double; any scalar for a string; a list member needs a YAML sequence,
// e.g. "[480]", never a bare scalar; fixed-length lists (PIXEL_MEANS: 3, BBOX_*: 4) must have that
// length; PIXEL_MEANS may also be written nested like config.py's array, [[[b, g, r]]]).
// Throws bua::Error naming the file and line (or "--set") and the key.
Config load_config(const std::vector<std::string>& cfg_files,
                   const std::vector<std::pair<std::string, std::string>>& sets = {});

// Applies one yml document to cfg; `source` names it in errors (a file name, or e.g. "<string>").
void merge_config_yaml(Config& cfg, const std::string& yaml_text, const std::string& source);
void merge_config_file(Config& cfg, const std::string& path);
// Applies one dotted KEY with a YAML-typed VALUE.
void set_config_value(Config& cfg, const std::string& key, const std::string& value);

// Pairs up a flat KEY VALUE KEY VALUE ... list (as given to --set); an odd count is a bua::Error.
std::vector<std::pair<std::string, std::string>> pair_set_args(const std::vector<std::string>& flat);

// Every key, dotted ("TRAIN.SCALES"), in printing order.
std::vector<std::string> config_keys();

// Like config.py's get_output_dir: ROOT_DIR/output/EXP_DIR/<imdb_name>[/<net_name>][/attr], made
// absolute and created if missing.
std::string get_output_dir(const Config& cfg, const std::string& imdb_name, const std::string& net_name = "",
                           bool attributes = false);

// The effective config as YAML (TRAIN and TEST as nested maps); load_config of it gives cfg back.
std::string to_yaml(const Config& cfg);

}  // namespace bua
