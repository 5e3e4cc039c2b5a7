// The feature layouts the downstream models read — the VQA baselines' HDF5 (fixed and adaptive, with the
// imgid2idx pickle), self-critical's captioning folders, MCAN's features-first npz — each read back by the
// consumer's own loading calls in Python (numpy, h5py, pickle) and compared with the TSV of the same records;
// conversion round trips; HDF5 resume; shards from the launchers' variables.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "bua/io/captioning_features.h"
#include "bua/io/feature_files.h"
#include "bua/io/hdf5_features.h"
#include "bua/io/pickle.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "bua/util/shard.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::testing::error_of;
using bua::testing::shell_quote;

namespace bua {
namespace {

const std::string kTsvDir = std::string(BUA_TEST_DATA) + "/tsv";

// python3 with numpy, h5py and pickle, or "" (the test then skips: scripts/install_deps.sh installs them).
std::string python_with_h5py() {
  const std::string py = bua::testing::python_with_numpy();
  if (py.empty() || bua::testing::run_command(py + " -c 'import h5py'").exit_code != 0) return "";
  return py;
}

// Records with `boxes` boxes each (a fixed layout), ids 1000+i, features drawn from a seeded generator.
std::vector<FeatureRecord> fixed_records(int n, int boxes, int dim, bool objects) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<FeatureRecord> out;
  for (int i = 0; i < n; ++i) {
    FeatureRecord r;
    r.image_id = std::to_string(1000 + i);
    r.image_w = 300 + 37 * i;
    r.image_h = 200 + 11 * i;
    r.num_boxes = boxes;
    for (int b = 0; b < boxes; ++b) {
      const float x1 = u(gen) * r.image_w / 2, y1 = u(gen) * r.image_h / 2;
      r.boxes.insert(r.boxes.end(), {x1, y1, x1 + 1 + u(gen) * r.image_w / 2, y1 + 1 + u(gen) * r.image_h / 2});
      for (int d = 0; d < dim; ++d) r.features.push_back(u(gen) * 5);
      if (objects) {
        r.objects_id.push_back(b % 7), r.objects_conf.push_back(u(gen));
        r.attrs_id.push_back(b % 3), r.attrs_conf.push_back(u(gen));
      }
    }
    out.push_back(r);
  }
  return out;
}

void write_tsv(const std::string& path, const std::vector<FeatureRecord>& records, TsvLayout layout) {
  TsvWriter w(path, layout);
  for (const auto& r : records) w.write(r);
  w.close();
}

std::vector<FeatureRecord> read_all(const std::string& path) {
  FeatureSource source(path);
  std::vector<FeatureRecord> out;
  FeatureRecord r;
  while (source.next(r)) out.push_back(r);
  return out;
}

// The consumers' loading code, and the converters' arithmetic, against the TSV of the same records.
const char* kConsumerChecks = R"PY(
import base64, csv, os, pickle, sys
import numpy as np
csv.field_size_limit(sys.maxsize)
FIELDS = ['image_id', 'image_w', 'image_h', 'num_boxes', 'boxes', 'features']

def tsv_items(path):  # as the converters and make_bu_data.py read the original TSV
    with open(path) as f:
        for item in csv.DictReader(f, delimiter='\t', fieldnames=FIELDS):
            item['image_id'] = int(item['image_id'])
            for k in ('image_w', 'image_h', 'num_boxes'):
                item[k] = int(item[k])
            for k in ('boxes', 'features'):
                item[k] = np.frombuffer(base64.b64decode(item[k]), dtype=np.float32).reshape((item['num_boxes'], -1))
            yield item

def spatial(item):  # tools/detection_features_converter.py
    bboxes, image_w, image_h = item['boxes'], item['image_w'], item['image_h']
    box_width = bboxes[:, 2] - bboxes[:, 0]
    box_height = bboxes[:, 3] - bboxes[:, 1]
    scaled_width = box_width / image_w
    scaled_height = box_height / image_h
    scaled_x = bboxes[:, 0] / image_w
    scaled_y = bboxes[:, 1] / image_h
    scaled_width = scaled_width[..., np.newaxis]
    scaled_height = scaled_height[..., np.newaxis]
    scaled_x = scaled_x[..., np.newaxis]
    scaled_y = scaled_y[..., np.newaxis]
    return np.concatenate((scaled_x, scaled_y, scaled_x + scaled_width, scaled_y + scaled_height,
                           scaled_width, scaled_height), axis=1)

kind, tsv, out = sys.argv[1], sys.argv[2], sys.argv[3]
items = list(tsv_items(tsv))
assert items, 'no rows'
if kind in ('hdf5-fixed', 'hdf5-adaptive'):
    import h5py
    pkl = out[:-len('.hdf5')] + '_imgid2idx.pkl'
    img_id2idx = pickle.load(open(pkl, 'rb'))  # dataset.py
    assert sorted(img_id2idx.keys()) == sorted(i['image_id'] for i in items), img_id2idx
    with h5py.File(out, 'r') as hf:
        features = np.array(hf.get('image_features'))
        spatials = np.array(hf.get('spatial_features'))
        bb = np.array(hf.get('image_bb'))
        pos_boxes = np.array(hf.get('pos_boxes')) if kind == 'hdf5-adaptive' else None
    assert features.dtype == np.float32 and spatials.dtype == np.float32, (features.dtype, spatials.dtype)
    for item in items:
        idx = img_id2idx[item['image_id']]
        if kind == 'hdf5-fixed':  # bottom-up-attention-vqa: features[idx] is [36, 2048]
            assert features.ndim == 3 and features.shape[1] == item['num_boxes'], features.shape
            f, s, b = features[idx], spatials[idx], bb[idx]
        else:  # ban-vqa: rows pos_boxes[idx][0]:pos_boxes[idx][1]
            assert pos_boxes.shape == (len(items), 2) and pos_boxes.dtype == np.int32, (pos_boxes.shape, pos_boxes.dtype)
            sl = slice(pos_boxes[idx][0], pos_boxes[idx][1])
            f, s, b = features[sl, :], spatials[sl, :], bb[sl, :]
        assert np.array_equal(f, item['features']), item['image_id']
        assert np.array_equal(b, item['boxes']), item['image_id']
        assert np.array_equal(s, spatial(item)), (item['image_id'], s[:2], spatial(item)[:2])
elif kind == 'captioning':  # self-critical.pytorch dataloader
    for item in items:
        ix = item['image_id']
        att = np.load(os.path.join(out + '_att', str(ix) + '.npz'))['feat']
        fc = np.load(os.path.join(out + '_fc', str(ix) + '.npy'))
        box = np.load(os.path.join(out + '_box', str(ix) + '.npy'))
        assert np.array_equal(att, item['features']), ix
        assert np.array_equal(fc, item['features'].mean(0)), (ix, np.abs(fc - item['features'].mean(0)).max())
        assert np.array_equal(box, item['boxes']), ix
elif kind == 'npz-features-first':  # MCAN / OpenVQA: np.load(f)['x'].transpose((1, 0))
    for item in items:
        z = np.load(os.path.join(out, str(item['image_id']) + '.npz'))
        x = z['x'].transpose((1, 0))
        assert np.array_equal(x, item['features']), item['image_id']
        assert np.array_equal(z['bbox'], item['boxes']) and int(z['num_bbox']) == item['num_boxes']
else:
    raise SystemExit('unknown kind ' + kind)
print('ok', kind, len(items))
)PY";

class FeatureFormats : public ::testing::Test {
 protected:
  std::string read_tsv_tool() const { return shell_quote(std::string(BUA_BIN_DIR) + "/read_tsv"); }
  bua::testing::CommandResult read_tsv(const std::string& args) const {
    return bua::testing::run_command(read_tsv_tool() + " -q " + args);
  }
  // Converts `tsv` to `format` at `out`, checks it the consumer's way, converts it back and compares rows.
  void check_format(const std::string& tsv, const std::string& format, const std::string& out,
                    const std::string& extra = "") {
    SCOPED_TRACE(format);
    auto r = read_tsv(shell_quote(tsv) + " --convert-to " + format + " --out " + shell_quote(out) + " " + extra);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string py = python_with_h5py();
    if (!py.empty()) {
      const std::string kind = format == "npz" ? "npz-features-first" : format;
      auto c = bua::testing::run_python(py, tmp_, kConsumerChecks,
                                        kind + " " + shell_quote(tsv) + " " + shell_quote(out));
      EXPECT_EQ(c.exit_code, 0) << c.output;
    }
    // Lossless: back to a TSV of the same layout, row for row.
    const std::string back = out + ".back.tsv";
    r = read_tsv(shell_quote(out) + " --convert-to tsv --out " + shell_quote(back));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto a = read_all(tsv), b = read_all(back);
    std::sort(b.begin(), b.end(), [&](const auto& x, const auto& y) {
      auto pos = [&](const std::string& id) {
        for (size_t i = 0; i < a.size(); ++i)
          if (a[i].image_id == id) return i;
        return a.size();
      };
      return pos(x.image_id) < pos(y.image_id);
    });
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << a[i].image_id;
  }

  bua::testing::TempDir tmp_;
};

TEST(Pickle, PythonLoadsTheIdMap) {
  const std::string py = bua::testing::python_with_numpy();
  if (py.empty()) GTEST_SKIP() << "python3 not available";
  std::vector<std::string> ids = {"0", "9", "255", "256", "65535", "65536", "2147483647", "2147483648",
                                  "9223372036854775807", "-1", "-129", "-2147483649", "abc", "007", "1e3", "-0",
                                  "9223372036854775808", "café"};
  for (int i = 0; i < 1500; ++i) ids.push_back("x" + std::to_string(i));  // more than one SETITEMS batch
  bua::testing::TempDir tmp;
  write_file_atomic(tmp.file("m.pkl"), pickle_id_to_index(ids));
  std::string expected = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    int64_t v = 0;
    const bool is_int = canonical_int_id(ids[i], &v);
    expected += (is_int ? std::to_string(v) : "'" + ids[i] + "'") + ": " + std::to_string(i) + ", ";
  }
  expected += "}";
  const std::string script = "import pickle, sys\nm = pickle.load(open(sys.argv[1], 'rb'))\nexpected = " + expected +
                             "\nassert m == expected, [(k, m.get(k), v) for k, v in expected.items() if m.get(k) != v][:5]"
                             "\nassert {(type(k), k) for k in m} == {(type(k), k) for k in expected}"
                             "\nprint('ok', len(m))\n";
  auto r = bua::testing::run_python(py, tmp, script, shell_quote(tmp.file("m.pkl")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok " + std::to_string(ids.size())), std::string::npos) << r.output;
}

TEST(Pickle, IntIdsAreCanonicalDecimals) {
  int64_t v = 0;
  EXPECT_TRUE(canonical_int_id("391895", &v));
  EXPECT_EQ(v, 391895);
  EXPECT_TRUE(canonical_int_id("-7", &v));
  EXPECT_EQ(v, -7);
  for (const char* s : {"", "-", "007", "+5", "-0", "1.0", "12a", "99999999999999999999"})
    EXPECT_FALSE(canonical_int_id(s, &v)) << s;
  EXPECT_EQ(imgid2idx_path("/d/train36.hdf5"), "/d/train36_imgid2idx.pkl");
  EXPECT_EQ(imgid2idx_path("/d/val.h5"), "/d/val_imgid2idx.pkl");
}

TEST(Pickle, LengthsAreCheckedBeforeAnUnpicklerAllocates) {
  const std::string good = pickle_id_to_index({"1", "abc", "3000000000", "-70000"});
  EXPECT_EQ(error_of([&] { check_pickle_lengths(good, "m.pkl"); }), "");
  // BINUNICODE claiming 2^31 bytes in a 20-byte pickle.
  const std::string huge = std::string("\x80\x02X\x00\x00\x00\x80abc.", 11);
  EXPECT_NE(error_of([&] { check_pickle_lengths(huge, "m.pkl"); }).find("m.pkl: corrupt pickle: opcode 'X'"),
            std::string::npos);
  // Cut anywhere inside an argument, our own pickle is refused too.
  for (size_t cut : {3u, 5u, 9u}) EXPECT_NE(error_of([&] { check_pickle_lengths(good.substr(0, cut), "m"); }), "") << cut;
  // GLOBAL's text arguments must end in newlines.
  EXPECT_NE(error_of([&] { check_pickle_lengths("\x80\x02ctorch\nFloatStor", "m"); }), "");
  EXPECT_EQ(error_of([&] { check_pickle_lengths("\x80\x02ctorch\nFloatStorage\n.", "m"); }), "");
}

TEST_F(FeatureFormats, Hdf5FixedIsWhatTheVqaBaselineLoads) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  write_tsv(tmp_.file("fixed.tsv"), fixed_records(5, 36, 64, false), TsvLayout::kOriginal);
  check_format(tmp_.file("fixed.tsv"), "hdf5-fixed", tmp_.file("train36.hdf5"));
  EXPECT_TRUE(fs::exists(tmp_.file("train36_imgid2idx.pkl")));
  EXPECT_FALSE(fs::exists(tmp_.file("train36.hdf5.partial")));
}

TEST_F(FeatureFormats, Hdf5AdaptiveIsWhatBanVqaLoads) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  // The reference TSV: 10, 36, 1 and 100 boxes.
  check_format(kTsvDir + "/original.tsv", "hdf5-adaptive", tmp_.file("val.hdf5"));
}

TEST_F(FeatureFormats, Hdf5KeepsTheObjectFields) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  auto r = read_tsv(shell_quote(kTsvDir + "/lxmert.tsv") + " --convert-to hdf5-adaptive --out " +
                    shell_quote(tmp_.file("lx.hdf5")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = read_tsv(shell_quote(tmp_.file("lx.hdf5")) + " --convert-to lxmert --out " + shell_quote(tmp_.file("lx.tsv")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_file(tmp_.file("lx.tsv")), read_file(kTsvDir + "/lxmert.tsv"));
  r = read_tsv(shell_quote(tmp_.file("lx.hdf5")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid, hdf5-adaptive HDF5 file"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("objects/attributes: yes"), std::string::npos) << r.output;
  r = read_tsv(shell_quote(tmp_.file("lx.hdf5")) + " --stats --stats-out " + shell_quote(tmp_.file("lx_stats")));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("hdf5-adaptive"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(tmp_.file("lx_stats.png")));
}

TEST_F(FeatureFormats, Hdf5FixedRefusesAnotherBoxCount) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  auto r = read_tsv(shell_quote(kTsvDir + "/original.tsv") + " --convert-to hdf5-fixed --out " +
                    shell_quote(tmp_.file("bad.hdf5")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("image 522418: has 36 boxes; the fixed HDF5 layout holds exactly 10"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(tmp_.file("bad.hdf5")));
  EXPECT_FALSE(fs::exists(tmp_.file("bad_imgid2idx.pkl")));
}

TEST_F(FeatureFormats, Hdf5LeavesAnotherToolsIdMapAlone) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  // trainval36_imgid2idx.pkl from the VQA converter, but no trainval36.hdf5 of ours beside it.
  write_file_atomic(tmp_.file("trainval36_imgid2idx.pkl"), "their map");
  write_tsv(tmp_.file("f.tsv"), fixed_records(2, 3, 4, false), TsvLayout::kOriginal);
  auto r = read_tsv(shell_quote(tmp_.file("f.tsv")) + " --convert-to hdf5-fixed --out " +
                    shell_quote(tmp_.file("trainval36.hdf5")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("exists beside no HDF5 output of ours"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(tmp_.file("trainval36_imgid2idx.pkl")), "their map");
  EXPECT_FALSE(fs::exists(tmp_.file("trainval36.hdf5")));
}

TEST_F(FeatureFormats, CaptioningIsWhatSelfCriticalLoads) {
  check_format(kTsvDir + "/original.tsv", "captioning", tmp_.file("cocobu"));
  EXPECT_TRUE(fs::is_directory(tmp_.file("cocobu_att")));
  EXPECT_TRUE(fs::exists(tmp_.file("cocobu_fc/391895.npy")));
  EXPECT_TRUE(fs::exists(tmp_.file("cocobu_box/9.npy")));
}

TEST_F(FeatureFormats, FeaturesFirstNpzIsWhatMcanLoads) {
  check_format(kTsvDir + "/original.tsv", "npz", tmp_.file("mcan"), "--npz-layout features-first");
  // N == D is ambiguous; every other shape reads back in either layout (the round trip above).
}

TEST_F(FeatureFormats, MergesShardsIntoAnyFormat) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  const auto all = read_all(kTsvDir + "/original.tsv");
  write_tsv(tmp_.file("s.tsv.0"), {all[0], all[2]}, TsvLayout::kOriginal);
  write_tsv(tmp_.file("s.tsv.1"), {all[1], all[3], all[0]}, TsvLayout::kOriginal);  // a repeat
  auto r = read_tsv("--merge " + shell_quote(tmp_.file("m.hdf5")) + " " + shell_quote(tmp_.file("s.tsv.0")) + " " +
                    shell_quote(tmp_.file("s.tsv.1")) + " --convert-to hdf5-adaptive");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("4 rows from 2 files, 1 repeated ids dropped"), std::string::npos) << r.output;
  const auto merged = read_all(tmp_.file("m.hdf5"));
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0], all[0]);
  EXPECT_EQ(merged[1], all[2]);
  EXPECT_EQ(merged[2], all[1]);
  EXPECT_EQ(merged[3], all[3]);
  // HDF5 shards merge too, into a TSV.
  r = read_tsv("--merge " + shell_quote(tmp_.file("m.tsv")) + " " + shell_quote(tmp_.file("m.hdf5")) +
               " --convert-to tsv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_all(tmp_.file("m.tsv")).size(), 4u);
  // Without --convert-to, only TSVs merge.
  r = read_tsv("--merge " + shell_quote(tmp_.file("x.tsv")) + " " + shell_quote(tmp_.file("m.hdf5")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("is not a TSV file; give --convert-to FORMAT"), std::string::npos) << r.output;
}

TEST_F(FeatureFormats, Hdf5ResumesFromTheLastFlushedRow) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  const auto records = fixed_records(6, 4, 8, true);
  const std::string path = tmp_.file("r.hdf5");
  for (auto layout : {Hdf5Layout::kFixed, Hdf5Layout::kAdaptive}) {
    SCOPED_TRACE(static_cast<int>(layout));
    fs::remove(path);
    fs::remove(imgid2idx_path(path));
    {
      Hdf5FeatureWriter w(path, layout, /*resume=*/true, /*flush_rows=*/2);
      for (int i = 0; i < 3; ++i) w.write(records[i]);
      // Interrupted: never finished. Rows 0-1 were flushed; row 2 came after the last flush.
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(imgid2idx_path(path)));
    EXPECT_TRUE(fs::exists(path + ".partial"));
    {
      Hdf5FeatureWriter w(path, layout, /*resume=*/true, /*flush_rows=*/2);
      EXPECT_EQ(w.ids(), (std::vector<std::string>{"1000", "1001"}));
      for (int i = 2; i < 6; ++i) w.write(records[i]);
      w.finish();
    }
    EXPECT_FALSE(fs::exists(path + ".partial"));
    EXPECT_EQ(read_all(path), records);
    // A finished file grows when resumed again.
    auto more = fixed_records(8, 4, 8, true);
    {
      Hdf5FeatureWriter w(path, layout, /*resume=*/true);
      EXPECT_EQ(w.ids().size(), 6u);
      w.write(more[6]);
      w.write(more[7]);
      w.finish();
    }
    EXPECT_EQ(read_all(path), more);
  }
}

TEST_F(FeatureFormats, Hdf5ResumeRefusesAnotherLayoutAndReplacesAWreck) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  const auto records = fixed_records(3, 4, 8, false);
  const std::string path = tmp_.file("w.hdf5");
  {
    Hdf5FeatureWriter w(path, Hdf5Layout::kFixed, true, 1);
    w.write(records[0]);
  }
  EXPECT_NE(error_of([&] { Hdf5FeatureWriter(path, Hdf5Layout::kAdaptive, true); })
                .find("holds the fixed HDF5 layout; this run writes the adaptive one"),
            std::string::npos);
  // A partial that a killed run left unreadable is started afresh (it is ours: the .partial name).
  write_file_atomic(path + ".partial", "\x89HDF\r\n\x1a\ngarbage");
  Hdf5FeatureWriter w(path, Hdf5Layout::kFixed, true);
  EXPECT_TRUE(w.ids().empty());
  for (const auto& r : records) w.write(r);
  w.finish();
  EXPECT_EQ(read_all(path), records);
}

TEST_F(FeatureFormats, Hdf5ReaderBoundsWhatAFileDeclares) {
  if (!hdf5_available()) GTEST_SKIP() << "built without libhdf5";
  write_file_atomic(tmp_.file("junk.hdf5"), "\x89HDF\r\n\x1a\nnot really");
  EXPECT_NE(error_of([&] { Hdf5FeatureReader r(tmp_.file("junk.hdf5")); }).find("junk.hdf5: not a readable HDF5 file"),
            std::string::npos);
  auto r = read_tsv(shell_quote(tmp_.file("junk.hdf5")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not a readable HDF5 file"), std::string::npos) << r.output;
}

TEST_F(FeatureFormats, CaptioningResumeSeesOnlyWholeImages) {
  const auto records = fixed_records(3, 5, 16, false);
  const std::string prefix = tmp_.file("cap");
  {
    auto sink = open_feature_sink(FeatureFormat::kCaptioning, prefix);
    for (const auto& r : records) sink->write(r);
    sink->finish();
  }
  fs::remove(tmp_.file("cap_fc/1001.npy"));  // an image cut short
  auto sink = open_feature_sink(FeatureFormat::kCaptioning, prefix);
  EXPECT_EQ(sink->done_ids(), (std::set<std::string>{"1000", "1002"}));
  EXPECT_NEAR(mean_feature(records[0])[3],
              (records[0].features[3] + records[0].features[19] + records[0].features[35] + records[0].features[51] +
               records[0].features[67]) / 5,
              1e-5);
}

TEST(Shard, FromFlagAndLaunchers) {
  auto env_of = [](std::map<std::string, std::string> vars) {
    auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
    return GetEnv([shared](const char* name) -> const char* {
      auto it = shared->find(name);
      return it == shared->end() ? nullptr : it->second.c_str();
    });
  };
  auto s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  s = parse_shard("auto", "--shard", env_of({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"SLURM_PROCID", "0"}}));
  EXPECT_EQ(s.index, 3);
  EXPECT_EQ(s.count, 8);
  EXPECT_EQ(s.source, "torchrun");
  EXPECT_EQ(s.suffix(), ".3");
  s = parse_shard("auto", "--shard",
                  env_of({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_COUNT", "8"},
                          {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}));
  EXPECT_EQ(s.index, 4);
  EXPECT_EQ(s.count, 8);
  EXPECT_EQ(s.source, "slurm array");
  s = parse_shard("auto", "--shard", env_of({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "4"}}));
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.source, "slurm");
  s = parse_shard("auto", "--shard", env_of({}));
  EXPECT_EQ(s.count, 1);
  EXPECT_NE(error_of([&] { parse_shard("auto", "--shard", env_of({{"RANK", "4"}, {"WORLD_SIZE", "4"}})); })
                .find("0 <= i < n"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_shard("auto", "--shard", env_of({{"RANK", "x"}, {"WORLD_SIZE", "4"}})); })
                .find("RANK='x' is not a non-negative integer"),
            std::string::npos);
  for (const char* bad : {"3", "1/0", "-1/2", "a/b", "2/2", "1/2/3"})
    EXPECT_NE(error_of([&] { parse_shard(bad); }), "") << bad;
}

}  // namespace
}  // namespace bua
