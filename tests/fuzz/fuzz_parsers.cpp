// Fuzz targets of the Torch-free parsers (issue #14), built with AddressSanitizer and
// UndefinedBehaviorSanitizer where the compiler has them (BUA_FUZZ_SANITIZE): caffemodel, feature TSV,
// .npy, .npz, the rescore JSON files, the raw Visual Genome JSON through setup_vg's in-memory steps, and the
// YAML of configs and architectures. Each test is one target; see fuzz_runner.h for the contract and
// tests/fuzz/README.md for longer runs.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "bua/config/arch.h"
#include "bua/config/config.h"
#include "bua/data/setup_vg.h"
#include "bua/data/vg_raw.h"
#include "bua/data/voc_writer.h"
#include "bua/eval/rescore.h"
#include "bua/eval/vg_eval_data.h"
#include "bua/io/caffe_model.h"
#include "bua/io/feature_files.h"
#include "bua/io/feature_record.h"
#include "bua/io/npy.h"
#include "bua/io/npz.h"
#include "bua/io/tsv.h"
#include "caffe.pb.h"
#include "fuzz_runner.h"

// Sanitizer settings the suite needs whoever runs it: a size read from a file and never bounded must
// fail as std::bad_alloc (reported with its input) rather than take the machine's memory; leaks are not
// this suite's question (the uninstrumented protobuf and yaml-cpp keep static state). A report ends in
// abort(), whose handler (fuzz_runner.h) saves the input: UBSan calls no death callback.
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=0:handle_abort=0:abort_on_error=1";
}
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1:abort_on_error=1"; }

namespace bua::fuzz {
namespace {

const std::string kData = BUA_TEST_DATA;

void require(bool ok, const std::string& what) {
  if (!ok) throw Violation(what);
}

// n * k without wrapping; false when it would not fit.
bool checked_mul(uint64_t n, uint64_t k, uint64_t& out) { return !__builtin_mul_overflow(n, k, &out); }

// Sizes that must agree whenever a record is handed out (issue #14 item 3: 2^62 * 4 wraps to 0).
void require_consistent(const FeatureRecord& r) {
  require(r.num_boxes >= 0, "a record with num_boxes " + std::to_string(r.num_boxes));
  uint64_t need = 0;
  require(checked_mul(static_cast<uint64_t>(r.num_boxes), 4, need) && need == r.boxes.size(),
          "a record with num_boxes " + std::to_string(r.num_boxes) + " and " + std::to_string(r.boxes.size()) +
              " box values");
  if (r.num_boxes > 0) require(r.features.size() % static_cast<uint64_t>(r.num_boxes) == 0, "features not N x D");
  else require(r.features.empty(), "features without boxes");
}

void require_consistent(const NpyArray& a) {
  uint64_t elements = 1;
  for (int64_t d : a.shape) {
    require(d >= 0, a.source + ": a negative dimension was accepted");
    require(checked_mul(elements, static_cast<uint64_t>(d), elements), a.source + ": the shape's size overflows");
  }
  uint64_t bytes = 0;
  require(checked_mul(elements, a.item_size(), bytes) && bytes == a.data.size(),
          a.source + ": " + std::to_string(a.data.size()) + " data bytes for the shape");
}

// What a caller does with an array: every typed copy its dtype allows.
void use_array(const NpyArray& a) {
  require_consistent(a);
  for (int i = 0; i < 4; ++i) {
    try {
      if (i == 0) (void)a.as_float();
      if (i == 1) (void)a.as_double();
      if (i == 2) (void)a.as_int64();
      if (i == 3) (void)a.as_int32();
    } catch (const Error&) {
      // a dtype this copy does not take, or a value that does not fit: refused properly
    }
  }
  for (size_t d = 0; d <= a.shape.size(); ++d) {
    try {
      (void)a.dim(d);
    } catch (const Error&) {
    }
  }
}

// ---- seeds made from tests/data (small: the reference files are megabytes)

// Records of a reference TSV cut to a few boxes and feature values, as rows of both layouts.
std::vector<FeatureRecord> small_records() {
  std::vector<FeatureRecord> out;
  for (const char* name : {"lxmert.tsv", "original.tsv"}) {
    TsvReader reader(kData + "/tsv/" + name);
    FeatureRecord r;
    for (int row = 0; row < 2 && reader.next(r); ++row) {
      const int64_t n = std::min<int64_t>(r.num_boxes, 3), dim = 4, full_dim = r.feature_dim();
      FeatureRecord s = r;
      s.num_boxes = n;
      s.boxes.assign(r.boxes.begin(), r.boxes.begin() + n * 4);
      s.features.clear();
      for (int64_t b = 0; b < n; ++b)
        s.features.insert(s.features.end(), r.features.begin() + b * full_dim, r.features.begin() + b * full_dim + dim);
      if (r.has_objects()) {
        s.objects_id.resize(n), s.objects_conf.resize(n), s.attrs_id.resize(n), s.attrs_conf.resize(n);
      }
      out.push_back(s);
    }
  }
  return out;
}

// The first layers of the reference caffemodels whose blobs are small, as whole smaller nets.
std::vector<std::string> small_caffemodels() {
  std::vector<std::string> out;
  for (const char* name : {"weights.caffemodel", "weights_legacy.caffemodel"}) {
    bua::caffe::NetParameter net;
    std::string bytes = read_bytes(kData + "/caffe/" + name);
    if (!net.ParseFromString(bytes)) throw std::runtime_error(std::string("fuzz: cannot parse ") + name);
    bua::caffe::NetParameter small;
    small.set_name(net.name());
    for (const auto& layer : net.layer()) {
      size_t values = 0;
      for (const auto& b : layer.blobs()) values += b.data_size() + b.double_data_size();
      if (values > 300) continue;
      *small.add_layer() = layer;
      if (small.layer_size() == 4) out.push_back(small.SerializeAsString());
      if (small.layer_size() == 10) break;
    }
    out.push_back(small.SerializeAsString());
  }
  return out;
}

std::string file_text(const std::string& path) { return read_bytes(path); }

// ---- targets

// Counts for the targets that cost more per input (a whole file validated, or a folder of three files
// written and read), so that each stays near ten seconds of this suite on a 2-core machine.
constexpr int64_t kTsvIterations = 600;
constexpr int64_t kVgRawIterations = 300;

TEST(Fuzz, Caffemodel) {
  Scratch scratch("caffemodel");
  Target t{"caffemodel", [&](const std::string& in) {
             const CaffeModel m = read_caffemodel(scratch.put("in.caffemodel", in));
             for (const auto& layer : m.layers) {
               for (const auto& blob : layer.blobs) {
                 uint64_t n = 1;
                 for (int64_t d : blob.shape) {
                   require(d >= 0, layer.name + ": a negative blob dimension was accepted");
                   require(checked_mul(n, static_cast<uint64_t>(d), n), layer.name + ": the blob shape overflows");
                 }
                 require(n == blob.data.size(), layer.name + ": a blob whose data does not fill its shape");
                 (void)blob_shape_matches(blob, blob.shape);
               }
               (void)m.find(layer.name);
             }
           }};
  const RunStats stats = run_fuzz(t, small_caffemodels(), budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// read_tsv's paths: validate the whole file, then every record as --show and demo --tsv use it.
TEST(Fuzz, Tsv) {
  Scratch scratch("tsv");
  Target t{"tsv", [&](const std::string& in) {
             const std::string path = scratch.put("in.tsv", in);
             try {
               (void)validate_features(path, false);
             } catch (const Error&) {
             }
             TsvReader reader(path);
             FeatureRecord r;
             while (reader.next(r)) {
               require_consistent(r);
               (void)describe_record(r);
             }
           }};
  std::vector<std::string> seeds;
  std::string both;
  for (const auto& r : small_records()) {
    const TsvLayout layout = r.has_objects() ? TsvLayout::kLxmert : TsvLayout::kOriginal;
    seeds.push_back(tsv_row(r, layout, "seed"));
    if (layout == TsvLayout::kOriginal) both += seeds.back();
  }
  seeds.push_back(both);
  const RunStats stats = run_fuzz(t, seeds, budget_from_env(kTsvIterations));
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

TEST(Fuzz, Npy) {
  Target t{"npy", [](const std::string& in) { use_array(parse_npy(in, "fuzz.npy")); }};
  std::vector<std::string> seeds;
  for (const auto& e : fs::directory_iterator(kData + "/tsv"))
    if (e.path().extension() == ".npy" && e.file_size() <= 2048) seeds.push_back(read_bytes(e.path()));
  std::sort(seeds.begin(), seeds.end());
  seeds.push_back(npy_bytes(NpyArray::from(std::vector<double>{1.5}, {})));
  seeds.push_back(npy_bytes(NpyArray::from_bool({true, false, true}, {3})));
  seeds.push_back(npy_bytes(NpyArray::from(std::vector<uint8_t>{1, 2, 3, 4, 5, 6}, {2, 3})));
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

TEST(Fuzz, Npz) {
  Target t{"npz",
           [](const std::string& in) {
             const NpzArchive a = parse_npz(in, "fuzz.npz");
             for (const auto& key : a.keys()) {
               try {
                 use_array(a.get(key));
               } catch (const Error&) {
               }
             }
             const FeatureRecord r = from_npz(a, "1");
             r.validate("fuzz.npz");
             require_consistent(r);
             (void)describe_record(r);
           },
           [](std::string& in, Random&) { fix_zip_crcs(in, [](const char* p, size_t n) { return crc32(p, n); }); }};
  std::vector<std::string> seeds;
  for (const auto& r : small_records()) {
    seeds.push_back(npz_bytes(to_npz(r)));
    seeds.push_back(npz_bytes(to_npz(r, NpzLayout::kFeaturesFirst)));
  }
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// A bundle of gt.json and detections.json (see fuzz_runner.h), scored as test_net --rescore does.
TEST(Fuzz, Rescore) {
  Scratch scratch("rescore");
  Target t{"rescore", [&](const std::string& in) {
             RescoreOptions o;
             for (const auto& p : unbundle(in)) {
               if (p.name == "gt.json") o.gt_path = scratch.put("gt.json", p.bytes);
               if (p.name == "detections.json") o.detections_path = scratch.put("detections.json", p.bytes);
             }
             if (o.gt_path.empty() || o.detections_path.empty()) return;
             std::ostringstream out;
             (void)rescore(o, out);
             // Accepted: every box it scored is finite and ordered (issue #14 item 8).
             const VgGroundTruth gt = load_vg_ground_truth(o.gt_path);
             const VgDetections d = load_vg_detections(o.detections_path, gt);
             for (const auto* table : {d.objects ? &*d.objects : nullptr, d.attributes ? &*d.attributes : nullptr}) {
               if (!table) continue;
               for (const auto& row : *table)
                 for (const auto& image : row)
                   for (const auto& b : image) {
                     require(std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2),
                             "a detection box with a non-finite coordinate was accepted");
                     require(b.x1 <= b.x2 && b.y1 <= b.y2, "a detection box with x2 < x1 or y2 < y1 was accepted");
                   }
             }
           }};
  const std::string gt = file_text(kData + "/vg_eval/gt.json");
  const std::string dets = file_text(kData + "/vg_eval/detections.json");
  const std::string small_gt = R"({"classes": ["__background__", "cat", "dog"],
    "attributes": ["__no_attribute__", "black"],
    "images": [{"image_id": 7, "width": 50, "height": 40, "boxes": [[1, 2, 10, 20], [5, 5, 30, 30]],
                "classes": [1, 2], "attributes": [[1], []]},
               {"image_id": 9, "width": 50, "height": 40, "boxes": [], "classes": [], "attributes": []}]})";
  const std::string small_dets = R"({"objects": {"cat": {"7": [[1.0, 2.0, 10.5, 20.0, 0.9]]},
    "dog": {"7": [[5, 5, 29, 31, 0.5], [0, 0, 3, 3, 0.1]]}},
    "attributes": {"black": {"7": [[1.0, 2.0, 10.0, 20.0, 0.8]], "9": [[0, 0, 1, 1, 0.2]]}}})";
  const RunStats stats = run_fuzz(
      t, {bundle({{"gt.json", small_gt}, {"detections.json", small_dets}}), bundle({{"gt.json", gt}, {"detections.json", dets}})},
      budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// A bundle of the raw VG files, read as setup_vg reads them, then counted and written as its XML (in
// memory: the files setup_vg writes are atomic_file's business, not a parser's).
TEST(Fuzz, VgRaw) {
  Target t{"vg_raw", [](const std::string& in) {
             Scratch dir("vg_raw");  // fresh per input: a part missing from this bundle must not linger
             for (const auto& p : unbundle(in)) dir.put(p.name, p.bytes);
             RawVgOptions o;
             o.progress = false;
             const RawVg raw = read_raw_vg(dir.path().string(), o);
             const VgNameCounts counts = count_vg_names(raw.scene_graphs);
             VgVocabSets vocab;
             for (const auto& [name, n] : counts.objects.most_common(2500)) {
               require(!name.empty(), "an empty object name reached the vocabulary (issue #14 item 10)");
               for (unsigned char c : name)
                 require(c >= 0x20 && c != 0x7F, "a control character reached the object vocabulary (item 10)");
               vocab.objects.insert(name);
             }
             for (const auto& [name, n] : counts.attributes.most_common(1000)) vocab.attributes.insert(name);
             for (const auto& [name, n] : counts.relations.most_common(500)) vocab.relations.insert(name);
             for (const auto& g : raw.scene_graphs) {
               auto info = raw.images.find(g.image_id);
               if (info == raw.images.end()) continue;  // setup_vg's reader refuses this; not our question
               const VocAnnotation a = annotate_vg_image(g, info->second, vocab);
               if (a.objects.empty()) continue;
               (void)split_vg_url(info->second.url, "image " + std::to_string(g.image_id));
               for (unsigned char c : voc_xml(a))
                 require(c >= 0x20 || c == '\t' || c == '\n' || c == '\r',
                         "the XML of image " + std::to_string(g.image_id) +
                             " holds a control character: not well-formed (item 10)");
             }
           }};
  std::vector<std::string> seeds;
  for (const char* set : {"limited", "full"}) {
    const std::string dir = kData + "/setup_vg/" + set + "/input/";
    seeds.push_back(bundle({{"image_data.json", file_text(dir + "image_data.json")},
                            {"scene_graphs.json", file_text(dir + "scene_graphs.json")},
                            {"attributes.json", file_text(dir + "attributes.json")}}));
  }
  const RunStats stats = run_fuzz(t, seeds, budget_from_env(kVgRawIterations));
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// experiments/cfgs/*.yml as --cfg and --set give them; accepted values must be usable (item 11).
TEST(Fuzz, ConfigYaml) {
  Target t{"config_yaml", [](const std::string& in) {
             Config cfg;
             merge_config_yaml(cfg, in, "fuzz.yml");
             for (const auto* scales : {&cfg.TEST.SCALES, &cfg.TRAIN.SCALES})
               for (int s : *scales) require(s > 0, "a scale of " + std::to_string(s) + " was accepted");
             require(cfg.TEST.MAX_SIZE > 0 && cfg.TRAIN.MAX_SIZE > 0, "a MAX_SIZE <= 0 was accepted");
             require(std::isfinite(cfg.TEST.NMS), "a non-finite TEST.NMS was accepted");
             (void)to_yaml(cfg);
           }};
  std::vector<std::string> seeds;
  for (const auto& e : fs::directory_iterator(std::string(BUA_SOURCE_DIR) + "/experiments/cfgs"))
    if (e.path().extension() == ".yml") seeds.push_back(read_bytes(e.path()));
  std::sort(seeds.begin(), seeds.end());
  seeds.push_back(to_yaml(Config{}));
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// configs/*.yml, the architecture text every checkpoint embeds.
TEST(Fuzz, ArchYaml) {
  Target t{"arch_yaml", [](const std::string& in) {
             const ArchConfig a = arch_from_yaml_string(in, "fuzz.yml");
             (void)a.num_anchors();
             (void)to_yaml(a);
           }};
  std::vector<std::string> seeds;
  for (const auto& e : fs::directory_iterator(std::string(BUA_SOURCE_DIR) + "/configs"))
    if (e.path().extension() == ".yml") seeds.push_back(read_bytes(e.path()));
  std::sort(seeds.begin(), seeds.end());
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// The runner itself: the same seed gives the same mutants, and a target that throws something other than
// bua::Error is reported with its input saved (a suite that could not fail would keep nothing fixed).
TEST(FuzzRunner, DeterministicAndReportsFindings) {
  Mutator a(42), b(42);
  const std::vector<std::string> corpus = {"{\"a\": [1, 2, 3]}", "abc\tdef\r\n"};
  for (int i = 0; i < 200; ++i) ASSERT_EQ(a.mutate(corpus[i % 2], corpus, 4096), b.mutate(corpus[i % 2], corpus, 4096));

  Target bad{"runner_self_test", [](const std::string& in) {
               if (in.find('\xFF') != std::string::npos) throw std::out_of_range("found 0xFF");
               if (in.size() > 3) throw Error("fuzz: refused");
             }};
  Budget budget;
  budget.iterations = 20000;
  const RunStats stats = run_fuzz(bad, {"ab"}, budget);
  ASSERT_FALSE(stats.findings.empty());
  EXPECT_NE(stats.findings[0].what.find("found 0xFF"), std::string::npos);
  EXPECT_EQ(read_bytes(stats.findings[0].saved_to).find('\xFF') != std::string::npos, true);
  fs::remove_all(fs::path(stats.findings[0].saved_to).parent_path());

  // The CRC refresh the npz target relies on: a changed array value, then crcs that match again.
  std::string z = npz_bytes(to_npz(small_records().at(0)));
  bool complete = false;
  ASSERT_FALSE(zip_stored_members(z, &complete).empty());
  ASSERT_TRUE(complete);
  const ZipMember first = zip_stored_members(z)[0];
  z[first.data + first.size - 1] ^= 0x01;
  EXPECT_NE(crc32(z.data() + first.data, first.size), first.crc);
  fix_zip_crcs(z, [](const char* p, size_t n) { return crc32(p, n); });
  for (const ZipMember& m : zip_stored_members(z)) EXPECT_EQ(crc32(z.data() + m.data, m.size), m.crc);
  EXPECT_NO_THROW(parse_npz(z, "refreshed.npz").get(parse_npz(z, "refreshed.npz").keys().at(0)));

  const std::string b2 = bundle({{"x.json", "[1]"}, {"y.json", ""}, {"z", "a\nb #@ c"}});
  const auto parts = unbundle(b2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].bytes, "[1]");
  EXPECT_EQ(parts[1].bytes, "");
  EXPECT_EQ(parts[2].name, "z");
  EXPECT_EQ(parts[2].bytes, "a\nb #@ c");
}

// The short run is a count: two runs of one seed make the same executions, and an input the harness cannot
// lay out (a bundle part named beyond NAME_MAX) is skipped and counted, never a finding (issue #21). A
// failure of the harness itself leaves the run as HarnessError, not as a finding of the parser.
TEST(FuzzRunner, CountsNotClocksAndSkipsWhatTheHarnessCannotLayOut) {
  Scratch scratch("runner_skip");
  Target t{"runner_skip", [&](const std::string& in) {
             for (const auto& p : unbundle(in)) scratch.put(p.name, p.bytes);
             if (in.size() > 40) throw Error("fuzz: refused");
           }};
  const std::vector<std::string> seeds = {bundle({{std::string(300, 'a'), "x"}}), bundle({{"ok.json", "[1]"}})};
  Budget budget;
  budget.iterations = 400;
  const RunStats first = run_fuzz(t, seeds, budget);
  const RunStats second = run_fuzz(t, seeds, budget);
  EXPECT_TRUE(first.findings.empty()) << describe(t.name, first);
  EXPECT_GE(first.skipped, 1);
  EXPECT_EQ(first.executions + first.skipped, static_cast<int64_t>(seeds.size()) + budget.iterations);
  EXPECT_FALSE(first.guard_hit);
  EXPECT_EQ(first.executions, second.executions);
  EXPECT_EQ(first.accepted, second.accepted);
  EXPECT_EQ(first.skipped, second.skipped);
  EXPECT_NE(summary(t.name, first).find("in " + std::to_string(first.executions) + " executions"), std::string::npos);

  Target broken{"runner_harness", [](const std::string&) { throw HarnessError("fuzz: cannot write /x"); }};
  EXPECT_THROW(run_fuzz(broken, {"a"}, budget), HarnessError);
  fs::remove_all(artifact_dir("runner_skip"));
  fs::remove_all(artifact_dir("runner_harness"));
}

}  // namespace
}  // namespace bua::fuzz
