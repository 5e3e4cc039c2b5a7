// Hostile inputs to the Torch-free parsers (issue 14): sizes read from a file that overflow when multiplied,
// zip members whose bytes were flipped, architecture values that would allocate tens of GB, and foreign
// error text (LibTorch traces, OpenCV prefixes) made into one line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "bua/config/arch.h"
#include "bua/io/feature_record.h"
#include "bua/io/npz.h"
#include "bua/io/tsv.h"
#include "bua/util/error_text.h"
#include "test_support.h"

namespace bua {
namespace {

using bua::testing::error_of;
using bua::testing::TempDir;

// 2^62: times 4 it wraps to 0, which once matched an empty boxes field.
constexpr const char* kWrappingCount = "4611686018427387904";

TEST(HostileTsv, NumBoxesThatWrapsTimesFourIsRefused) {
  TempDir dir;
  const std::string path = dir.file("wrap.tsv");
  std::ofstream(path, std::ios::binary) << "7\t640\t480\t" << kWrappingCount << "\t\t\r\n";
  const std::string msg = error_of([&] {
    TsvReader reader(path);
    FeatureRecord r;
    reader.next(r);
  });
  EXPECT_NE(msg.find(path + ":1: image 7: num_boxes is " + kWrappingCount + " but boxes holds 0 floats"),
            std::string::npos)
      << msg;
}

TEST(HostileTsv, ValidateComparesCountsWithoutMultiplying) {
  FeatureRecord r;
  r.image_id = "7";
  r.num_boxes = int64_t(1) << 62;
  EXPECT_NE(error_of([&] { r.validate("x"); }).find("num_boxes is"), std::string::npos);
  r.num_boxes = (int64_t(1) << 62) + 1;  // times 4: 4, one box's worth
  r.boxes.assign(4, 0.f);
  r.features.assign(2048, 0.f);
  EXPECT_NE(error_of([&] { r.validate("x"); }).find("num_boxes is"), std::string::npos);
  r.num_boxes = 1;  // the same arrays with an honest count pass
  EXPECT_EQ(error_of([&] { r.validate("x"); }), "");
}

TEST(HostileZip, EveryFlippedByteOfAMemberIsACrcError) {
  NpzArchive a;
  a.add("x", NpyArray::from(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  const std::string good = npz_bytes(a);
  const auto members = read_stored_zip(good, "good.npz");
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].name, "x.npy");
  for (uint64_t i = members[0].offset; i < members[0].offset + members[0].size; ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    const std::string msg = error_of([&] { read_stored_zip(bad, "bad.npz"); });
    EXPECT_EQ(msg, "bad.npz:x.npy: crc32 mismatch (corrupt file)") << "byte " << i;
  }
}

TEST(HostileZip, CutShortAtAnyLengthIsAnError) {
  NpzArchive a;
  a.add("x", NpyArray::from(std::vector<float>{1, 2, 3, 4}, {4}));
  const std::string good = npz_bytes(a);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_NE(error_of([&] { read_stored_zip(good.substr(0, n), "cut.pt", "checkpoint"); }), "") << n;
}

TEST(HostileArch, ValuesThatWouldAllocateTensOfGigabytesAreRefused) {
  ArchConfig a;  // ResNet-101 VG
  EXPECT_EQ(error_of([&] { validate_arch(a, "ok"); }), "");
  auto refused = [](ArchConfig bad) { return error_of([&] { validate_arch(bad, "ckpt.pt"); }); };

  ArchConfig pool = a;
  pool.roi_pool_size = 2000;
  EXPECT_NE(refused(pool).find("ckpt.pt: arch: roi_pool_size is 2000, above the bound"), std::string::npos);

  ArchConfig wide = a;
  wide.out_channels[3] = 1 << 30;
  EXPECT_NE(refused(wide).find("out_channels is 1073741824, above the bound"), std::string::npos);

  ArchConfig classes = a;
  classes.num_classes = 50000000;
  EXPECT_NE(refused(classes).find("num_classes is 50000000"), std::string::npos);

  // Each value within its bound, together far too many weights.
  ArchConfig all = a;
  all.blocks_per_stage = {100, 100, 100, 100};
  all.bottleneck_channels = {8192, 8192, 8192, 8192};
  all.out_channels = {8192, 8192, 8192, 8192};
  EXPECT_NE(refused(all).find("parameters, above the bound"), std::string::npos) << refused(all);

  ArchConfig eps = a;
  eps.bn_eps = 1e300;
  EXPECT_NE(refused(eps).find("bn_eps must be positive and below 1"), std::string::npos);
}

TEST(ErrorText, LibTorchTraceIsDropped) {
  const std::string c10 =
      "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small\n"
      "Exception raised from max_pool2d at ../aten/src/ATen/native/Pooling.cpp:123 (most recent call first):\n"
      "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x57 (0x7f in /lib/libc10.so)\n"
      "frame #1: at::native::max_pool2d + 0x99 (0x7f in /lib/libtorch_cpu.so)\n";
  EXPECT_EQ(one_line_error(c10), "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small");
  EXPECT_EQ(without_foreign_trace("a.pt: corrupt checkpoint: " + c10),
            "a.pt: corrupt checkpoint: Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is "
            "too small");
}

TEST(ErrorText, OpenCvPrefixIsDroppedAndLinesJoined) {
  EXPECT_EQ(one_line_error("OpenCV(4.6.0) /build/opencv/modules/imgproc/src/resize.cpp:4052: error: "
                           "(-215:Assertion failed) !dsize.empty() in function 'resize'\n"),
            "OpenCV: (-215:Assertion failed) !dsize.empty() in function 'resize'");
  EXPECT_EQ(one_line_error("x.pt: weights do not fit:\n  missing a\n  missing b\tc"),
            "x.pt: weights do not fit:; missing a; missing b c");
  EXPECT_EQ(one_line_error(std::string(5000, 'x')).size(), 404u);
  EXPECT_EQ(one_line_error(std::bad_alloc()), "out of memory (std::bad_alloc)");
  EXPECT_EQ(one_line_error(""), "unknown error");
}

}  // namespace
}  // namespace bua
