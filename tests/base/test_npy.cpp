#include "bua/io/npy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::NpyArray;

using bua::testing::error_of;

namespace {

std::vector<std::string> npy_files_in(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".npy") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

// The reference arrays: shapes and dtypes as meta.json lists them, and values consistent with each other.
TEST(Npy, ReadsCaffeReferenceArraysWithListedShapes) {
  std::string dir = std::string(BUA_TEST_DATA) + "/caffe/messi5";
  auto meta = nlohmann::json::parse(bua::read_file(dir + "/meta.json"));
  int checked = 0;
  for (const auto& [name, entry] : meta.at("files").items()) {
    std::string path = dir + "/" + name + ".npy";
    if (!fs::exists(path)) continue;
    NpyArray a = bua::read_npy(path);
    EXPECT_EQ(a.shape, entry.at(0).get<std::vector<int64_t>>()) << name;
    std::string dtype = entry.at(1).get<std::string>();
    EXPECT_EQ(a.dtype, dtype == "float32" ? "<f4" : dtype == "int32" ? "<i4" : "?" + dtype) << name;
    EXPECT_EQ(a.source, path);
    ++checked;
  }
  EXPECT_GE(checked, 20);

  // im_info holds the blob's height and width: the same numbers as data.npy's shape.
  NpyArray im_info = bua::read_npy(dir + "/im_info.npy");
  NpyArray data = bua::read_npy(dir + "/data.npy");
  std::vector<float> info = im_info.as_float();
  ASSERT_EQ(info.size(), 3u);
  EXPECT_EQ(info[0], static_cast<float>(data.dim(2)));
  EXPECT_EQ(info[1], static_cast<float>(data.dim(3)));
  EXPECT_EQ(data.as_float().size(), static_cast<size_t>(data.size()));

  // Integer arrays: indices into the 300 ROIs.
  for (int64_t v : bua::read_npy(dir + "/sel_2_5_keep.npy").as_int64()) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 300);
  }
}

// What we write is byte-for-byte what np.save wrote, for every reference file.
TEST(Npy, RewriteIsByteIdenticalToNumpy) {
  int checked = 0;
  for (const char* sub : {"/caffe/messi5", "/tsv"}) {
    for (const auto& path : npy_files_in(std::string(BUA_TEST_DATA) + sub)) {
      std::string original = bua::read_file(path);
      EXPECT_EQ(bua::npy_bytes(bua::parse_npy(original, path)), original) << path;
      ++checked;
    }
  }
  EXPECT_GE(checked, 50);
}

TEST(Npy, RoundTripsEveryDtype) {
  bua::testing::TempDir tmp;
  std::vector<NpyArray> arrays = {
      NpyArray::from(std::vector<float>{1.5f, -2.25f, 3e-8f, 0.f, 7.f, 8.f}, {2, 3}),
      NpyArray::from(std::vector<double>{2.5, -0.1}, {2}),
      NpyArray::from(std::vector<int32_t>{-5, 2147483647}, {1, 2, 1}),
      NpyArray::from(std::vector<int64_t>{int64_t(1) << 40}, {}),
      NpyArray::from(std::vector<uint8_t>{0, 128, 255}, {3}),
      NpyArray::from_bool({true, false, true, true}, {2, 2}),
      NpyArray::from(std::vector<float>{}, {0, 2048}),
  };
  for (size_t i = 0; i < arrays.size(); ++i) {
    std::string path = tmp.file("a" + std::to_string(i) + ".npy");
    bua::write_npy(path, arrays[i]);
    EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
    NpyArray back = bua::read_npy(path);
    EXPECT_EQ(back.dtype, arrays[i].dtype);
    EXPECT_EQ(back.shape, arrays[i].shape);
    EXPECT_EQ(back.data, arrays[i].data);
    EXPECT_EQ(bua::read_file(path).size() % 64, arrays[i].data.size() % 64) << "data must start 64-byte aligned";
  }
  EXPECT_EQ(arrays[0].as_float(), (std::vector<float>{1.5f, -2.25f, 3e-8f, 0.f, 7.f, 8.f}));
  EXPECT_EQ(arrays[1].as_float(), (std::vector<float>{2.5f, static_cast<float>(-0.1)}));
  EXPECT_EQ(arrays[1].as_double(), (std::vector<double>{2.5, -0.1}));
  EXPECT_EQ(arrays[2].as_int64(), (std::vector<int64_t>{-5, 2147483647}));
  EXPECT_EQ(arrays[3].size(), 1);
  EXPECT_EQ(arrays[3].as_int64(), (std::vector<int64_t>{int64_t(1) << 40}));
  EXPECT_EQ(arrays[4].as_int32(), (std::vector<int32_t>{0, 128, 255}));
  EXPECT_EQ(arrays[5].as_int64(), (std::vector<int64_t>{1, 0, 1, 1}));
  EXPECT_EQ(arrays[6].size(), 0);
}

TEST(Npy, LongHeaderUsesVersion2) {
  std::vector<int64_t> shape(30000, 1);
  NpyArray a = NpyArray::from(std::vector<float>{4.f}, shape);
  std::string bytes = bua::npy_bytes(a);
  EXPECT_EQ(bytes[6], 2);
  NpyArray back = bua::parse_npy(bytes, "long");
  EXPECT_EQ(back.shape, shape);
  EXPECT_EQ(back.as_float(), std::vector<float>{4.f});
}

TEST(Npy, RejectsWhatItCannotRead) {
  NpyArray f = NpyArray::from(std::vector<float>{1.f, 2.f}, {2});
  std::string good = bua::npy_bytes(f);

  EXPECT_NE(error_of([&] { bua::parse_npy("PK\x03\x04 not npy", "x.npy"); }).find("x.npy: not a .npy file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bua::parse_npy(good.substr(0, good.size() - 1), "t.npy"); }).find("t.npy: data holds 7 bytes"),
            std::string::npos);
  std::string complex = good;
  complex.replace(complex.find("<f4"), 3, "<c8");
  EXPECT_NE(error_of([&] { bua::parse_npy(complex, "c.npy"); }).find("unsupported dtype '<c8'"), std::string::npos);
  std::string big = good;
  big.replace(big.find("<f4"), 3, ">f4");
  EXPECT_NE(error_of([&] { bua::parse_npy(big, "b.npy"); }).find("big-endian"), std::string::npos);
  std::string broken = good;
  broken.replace(broken.find("(2,)"), 4, "(2x)");
  EXPECT_NE(error_of([&] { bua::parse_npy(broken, "h.npy"); }).find("h.npy: malformed header"), std::string::npos);

  EXPECT_NE(error_of([&] { f.as_int64(); }).find("cannot be read as integer"), std::string::npos);
  NpyArray wide = NpyArray::from(std::vector<int64_t>{int64_t(1) << 33}, {1});
  EXPECT_NE(error_of([&] { wide.as_int32(); }).find("does not fit in int32"), std::string::npos);
  EXPECT_NE(error_of([&] { NpyArray::from(std::vector<float>{1.f}, {2}); }).find("does not hold 1 values"),
            std::string::npos);
  EXPECT_NE(error_of([&] { bua::read_npy("/nonexistent/dir/a.npy"); }).find("/nonexistent/dir/a.npy: cannot open"),
            std::string::npos);
}

// numpy reads what we write, and we read what numpy writes (including version 2 headers, Python's other
// spellings of dtypes, and the layouts we refuse).
TEST(Npy, AgreesWithNumpy) {
  std::string python = bua::testing::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "python3 with numpy not available";
  bua::testing::TempDir tmp;
  bua::write_npy(tmp.file("ours_f4.npy"), NpyArray::from(std::vector<float>{0.5f, -1.f, 3.25f, 1e-20f, 6.f, 7.f}, {3, 2}));
  bua::write_npy(tmp.file("ours_i8.npy"), NpyArray::from(std::vector<int64_t>{-1, 1600}, {2}));
  bua::write_npy(tmp.file("ours_b1.npy"), NpyArray::from_bool({true, false}, {2}));
  bua::write_npy(tmp.file("ours_scalar.npy"), NpyArray::from(std::vector<int64_t>{36}, {}));
  const char* script = R"PY(
import sys, os, numpy as np
d = sys.argv[1]
def check(name, expected):
    a = np.load(os.path.join(d, name), allow_pickle=False)
    assert a.dtype == expected.dtype and a.shape == expected.shape and np.array_equal(a, expected), (name, a)
check('ours_f4.npy', np.array([[0.5, -1], [3.25, 1e-20], [6, 7]], np.float32))
check('ours_i8.npy', np.array([-1, 1600], np.int64))
check('ours_b1.npy', np.array([True, False]))
check('ours_scalar.npy', np.array(36, np.int64))
with open(os.path.join(d, 'np_v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.arange(6, dtype='<f8').reshape(2, 3), version=(2, 0))
np.save(os.path.join(d, 'np_u1.npy'), np.array([[1, 2], [3, 250]], np.uint8))
np.save(os.path.join(d, 'np_i4.npy'), np.array([-7, 9], np.int32))
np.save(os.path.join(d, 'np_fortran.npy'), np.asfortranarray(np.ones((2, 3), np.float32)))
np.save(os.path.join(d, 'np_big.npy'), np.ones(3, '>f4'))
print('ok')
)PY";
  auto r = bua::testing::run_python(python, tmp, script, bua::testing::shell_quote(tmp.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  NpyArray v2 = bua::read_npy(tmp.file("np_v2.npy"));
  EXPECT_EQ(v2.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(v2.as_double(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(bua::read_npy(tmp.file("np_u1.npy")).as_int64(), (std::vector<int64_t>{1, 2, 3, 250}));
  EXPECT_EQ(bua::read_npy(tmp.file("np_i4.npy")).as_int32(), (std::vector<int32_t>{-7, 9}));
  EXPECT_NE(error_of([&] { bua::read_npy(tmp.file("np_fortran.npy")); }).find("Fortran-order"), std::string::npos);
  EXPECT_NE(error_of([&] { bua::read_npy(tmp.file("np_big.npy")); }).find("big-endian"), std::string::npos);
}
