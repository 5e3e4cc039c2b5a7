#include "bua/io/npz.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "bua/io/feature_record.h"
#include "bua/io/tsv.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::FeatureRecord;
using bua::NpyArray;
using bua::NpzArchive;

using bua::testing::error_of;

namespace {

const std::string kDir = std::string(BUA_TEST_DATA) + "/tsv";

std::vector<FeatureRecord> read_all(const std::string& path) {
  std::vector<FeatureRecord> out;
  bua::TsvReader reader(path);
  FeatureRecord r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

}  // namespace

TEST(Npz, Crc32MatchesTheZipCheckValue) {
  EXPECT_EQ(bua::crc32("123456789", 9), 0xCBF43926u);
  EXPECT_EQ(bua::crc32("", 0), 0u);
  EXPECT_EQ(bua::crc32("6789", 4, bua::crc32("12345", 5)), 0xCBF43926u);
}

TEST(Npz, RoundTripsMembersInOrder) {
  bua::testing::TempDir tmp;
  NpzArchive a;
  a.add("x", NpyArray::from(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}));
  a.add("n", NpyArray::from(std::vector<int64_t>{7}, {}));
  a.add("flags", NpyArray::from_bool({true, false}, {2}));
  a.add("n", NpyArray::from(std::vector<int64_t>{8}, {}));  // replaces
  bua::write_npz(tmp.file("a.npz"), a);
  NpzArchive b = bua::read_npz(tmp.file("a.npz"));
  EXPECT_EQ(b.keys(), (std::vector<std::string>{"x", "n", "flags"}));
  EXPECT_EQ(b.get("x").as_float(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(b.get("x").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b.get("n").as_int64(), std::vector<int64_t>{8});
  EXPECT_EQ(b.get("flags").dtype, "|b1");
  EXPECT_EQ(b.get("x").source, tmp.file("a.npz") + ":x.npy");
  EXPECT_EQ(bua::npz_bytes(b), bua::read_file(tmp.file("a.npz")));  // reproducible: fixed dates
  EXPECT_EQ(error_of([&] { b.get("y"); }), tmp.file("a.npz") + ": no member 'y' (has: x, n, flags)");
}

TEST(Npz, RejectsCorruptArchives) {
  NpzArchive a;
  a.add("x", NpyArray::from(std::vector<float>{1, 2}, {2}));
  std::string bytes = bua::npz_bytes(a);
  std::string flipped = bytes;
  flipped[100] ^= 1;  // inside x.npy's header
  EXPECT_EQ(error_of([&] { bua::parse_npz(flipped, "f.npz"); }), "f.npz:x.npy: crc32 mismatch (corrupt file)");
  EXPECT_EQ(error_of([&] { bua::parse_npz(bytes.substr(0, bytes.size() - 30), "t.npz"); }),
            "t.npz: not a zip/npz file (no end of central directory)");
  EXPECT_EQ(error_of([&] { bua::parse_npz("\x93NUMPY", "n.npz"); }), "n.npz: not a zip/npz file (too short)");
}

TEST(Npz, FeatureRecordsRoundTrip) {
  bua::testing::TempDir tmp;
  for (const auto& path : {kDir + "/original.tsv", kDir + "/lxmert.tsv"}) {
    for (const FeatureRecord& r : read_all(path)) {
      std::string file = bua::feature_npz_path(tmp.path().string(), r.image_id);
      bua::write_feature_npz(file, r);
      FeatureRecord back = bua::read_feature_npz(file);
      EXPECT_EQ(back, r) << file;
      EXPECT_EQ(back.has_objects(), path.find("lxmert") != std::string::npos);
    }
  }
  EXPECT_EQ(bua::list_feature_npz(tmp.path().string()).size(), 8u);
  EXPECT_NE(error_of([&] { bua::feature_npz_path("out", "a/b"); }).find("cannot be used as a file name"),
            std::string::npos);
}

// np.load(allow_pickle=False) reads our archives; we read numpy's own (zip64 local headers), ignore
// members we do not need, and refuse compressed ones.
TEST(Npz, AgreesWithNumpy) {
  std::string python = bua::testing::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "python3 with numpy not available";
  bua::testing::TempDir tmp;
  for (const FeatureRecord& r : read_all(kDir + "/lxmert.tsv"))
    bua::write_feature_npz(bua::feature_npz_path(tmp.path().string(), r.image_id), r);

  const char* script = R"PY(
import sys, os, re, glob
import numpy as np
ref_dir, out_dir = sys.argv[1], sys.argv[2]
n = 0
for path in sorted(glob.glob(os.path.join(out_dir, 'COCO_*.npz'))):
    num = int(re.search(r'(\d+)\.npz$', path).group(1))
    ref = lambda field: np.load(os.path.join(ref_dir, '%d_%s.npy' % (num, field)))
    with np.load(path, allow_pickle=False) as z:
        assert sorted(z.files) == sorted(['x', 'bbox', 'num_bbox', 'image_h', 'image_w',
                                          'objects_id', 'objects_conf', 'attrs_id', 'attrs_conf']), z.files
        assert z['x'].dtype == np.float32 and np.array_equal(z['x'], ref('features'))
        assert z['bbox'].dtype == np.float32 and np.array_equal(z['bbox'], ref('boxes'))
        assert z['num_bbox'].shape == () and int(z['num_bbox']) == len(ref('boxes'))
        assert z['image_h'].shape == () and z['image_w'].shape == ()
        for k in ['objects_id', 'objects_conf', 'attrs_id', 'attrs_conf']:
            assert z[k].dtype == ref(k).dtype and np.array_equal(z[k], ref(k)), k
    n += 1
assert n == 4, n
feats = np.arange(6, dtype=np.float32).reshape(3, 2)
boxes = np.arange(12, dtype=np.float64).reshape(3, 4)
np.savez(os.path.join(out_dir, 'np_plain.npz'), x=feats, bbox=boxes, num_bbox=3, image_h=480, image_w=640,
         info={'objects_id': [1, 2, 3]})
np.savez_compressed(os.path.join(out_dir, 'np_compressed.npz'), x=feats)
print('ok')
)PY";
  auto r = bua::testing::run_python(python, tmp, script,
                                    bua::testing::shell_quote(kDir) + " " + bua::testing::shell_quote(tmp.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  FeatureRecord plain = bua::read_feature_npz(tmp.file("np_plain.npz"));
  EXPECT_EQ(plain.image_id, "np_plain");
  EXPECT_EQ(plain.num_boxes, 3);
  EXPECT_EQ(plain.image_h, 480);
  EXPECT_EQ(plain.image_w, 640);
  EXPECT_EQ(plain.features, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(plain.boxes[11], 11.f);
  EXPECT_FALSE(plain.has_objects());
  // The pickled member is there but only parsed on request.
  NpzArchive archive = bua::read_npz(tmp.file("np_plain.npz"));
  EXPECT_TRUE(archive.contains("info"));
  EXPECT_NE(error_of([&] { archive.get("info"); }).find("unsupported dtype '|O'"), std::string::npos);
  EXPECT_NE(error_of([&] { bua::read_npz(tmp.file("np_compressed.npz")); })
                .find("np_compressed.npz:x.npy: compressed member (method 8) is not supported"),
            std::string::npos);
}
