// Hostile inputs to the Torch half (issue 14): checkpoints with flipped bytes or forged tensor records,
// decompression bombs, truncated JPEGs, files that are not images, images too small or too elongated for the
// network, and too many decoding threads. Each must end in one line naming the file and the problem.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "bua/config/arch.h"
#include "bua/features/prefetch.h"
#include "bua/image/image.h"
#include "bua/io/npz.h"
#include "bua/model/checkpoint.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

using bua::testing::error_of;
using bua::testing::TempDir;

const std::string kMessi = std::string(BUA_TEST_DATA) + "/caffe/messi5.jpg";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// ---- checkpoints ----

// A stored zip of `members` in order, as torch.save lays them out (crc32s correct).
std::string zip_of(const std::vector<std::pair<std::string, std::string>>& members) {
  auto put = [](std::string& s, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  std::string out, central;
  for (const auto& [name, data] : members) {
    const uint32_t crc = crc32(data.data(), data.size());
    const auto offset = out.size();
    put(out, 0x04034b50, 4), put(out, 20, 2), put(out, 0, 2), put(out, 0, 2), put(out, 0, 4), put(out, crc, 4);
    put(out, data.size(), 4), put(out, data.size(), 4), put(out, name.size(), 2), put(out, 0, 2);
    out += name + data;
    put(central, 0x02014b50, 4), put(central, 20, 2), put(central, 20, 2), put(central, 0, 2), put(central, 0, 2);
    put(central, 0, 4), put(central, crc, 4), put(central, data.size(), 4), put(central, data.size(), 4);
    put(central, name.size(), 2), put(central, 0, 2), put(central, 0, 2), put(central, 0, 2), put(central, 0, 2);
    put(central, 0, 4), put(central, offset, 4);
    central += name;
  }
  const auto central_offset = out.size();
  out += central;
  put(out, 0x06054b50, 4), put(out, 0, 4), put(out, members.size(), 2), put(out, members.size(), 2);
  put(out, central.size(), 4), put(out, central_offset, 4), put(out, 0, 2);
  return out;
}

class HostileCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    ckpt_.arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml");
    for (int i = 0; i < ckpt_.arch.num_classes; ++i) ckpt_.classes.push_back("c" + std::to_string(i));
    for (int i = 0; i < ckpt_.arch.num_attributes; ++i) ckpt_.attributes.push_back("a" + std::to_string(i));
    torch::manual_seed(3);
    Detector net(ckpt_.arch);
    ckpt_.state = state_of(*net);
    path_ = dir_.file("tiny.pt");
    save_checkpoint(ckpt_, path_);
    bytes_ = slurp(path_);
    for (const ZipMember& m : read_stored_zip(bytes_, path_)) members_.push_back({m.name, bytes_.substr(m.offset, m.size)});
  }

  // The checkpoint with member `suffix` (e.g. "data.pkl") replaced by edit(its bytes), zipped again with
  // correct crc32s: a forgery that the crc check cannot catch.
  template <typename Edit>
  std::string forged(const std::string& suffix, Edit edit) {
    auto members = members_;
    bool found = false;
    for (auto& [name, data] : members) {
      if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        edit(data);
        found = true;
      }
    }
    EXPECT_TRUE(found) << suffix;
    const std::string path = dir_.file("forged.pt");
    spit(path, zip_of(members));
    return path;
  }

  TempDir dir_;
  Checkpoint ckpt_;
  std::string path_, bytes_;
  std::vector<std::pair<std::string, std::string>> members_;
};

TEST_F(HostileCheckpoint, IntactAndRezippedCheckpointsLoad) {
  const Checkpoint c = load_checkpoint(path_);
  ASSERT_EQ(c.state.size(), ckpt_.state.size());
  for (const auto& [name, t] : ckpt_.state) EXPECT_TRUE(torch::equal(c.state.at(name), t)) << name;
  // The test's own zip writer makes loadable checkpoints, so the forgeries below fail for their forgery.
  EXPECT_EQ(error_of([&] { load_checkpoint(forged("data.pkl", [](std::string&) {})); }), "");
}

TEST_F(HostileCheckpoint, EveryFlippedRecordByteIsNamedCorrupt) {
  // One flip in each member (the pickle and every tensor record): torch's reader would load them all.
  const auto members = read_stored_zip(bytes_, path_);
  ASSERT_GT(members.size(), 10u);
  for (const ZipMember& m : members) {
    if (m.size == 0) continue;
    std::string bad = bytes_;
    bad[m.offset + m.size / 2] = static_cast<char>(bad[m.offset + m.size / 2] ^ 0x01);
    const std::string path = dir_.file("flipped.pt");
    spit(path, bad);
    EXPECT_EQ(error_of([&] { load_checkpoint(path); }), path + ":" + m.name + ": crc32 mismatch (corrupt file)");
  }
}

TEST_F(HostileCheckpoint, RecordShorterThanItsTensorIsRefusedNamingTheTensor) {
  // Every tensor record cut to half: the pickle's sizes now reach past the bytes the record holds.
  auto members = members_;
  for (auto& [name, data] : members)
    if (contains(name, "/data/")) data.resize(data.size() / 2);
  const std::string path = dir_.file("short.pt");
  spit(path, zip_of(members));
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_TRUE(contains(msg, path + ": tensor ")) << msg;
  EXPECT_TRUE(contains(msg, "of a record that holds")) << msg;
}

TEST_F(HostileCheckpoint, ForgedDtypeIsRefused) {
  // FloatStorage -> DoubleStorage: the same sizes in 8-byte elements reach past each record.
  auto to_double = [](std::string& pkl) {
    const auto at = pkl.find("FloatStorage");
    ASSERT_NE(at, std::string::npos);
    pkl.replace(at, 5, "Double");
  };
  std::string msg = error_of([&] { load_checkpoint(forged("data.pkl", to_double)); });
  EXPECT_TRUE(contains(msg, ": tensor state_dict/")) << msg;
  EXPECT_TRUE(contains(msg, "(Double, sizes")) << msg;
  // FloatStorage -> IntStorage fits the records, but integer weights are not a model's.
  auto to_int = [](std::string& pkl) { pkl.replace(pkl.find("FloatStorage"), 5, "Int"); };
  const std::string path = forged("data.pkl", to_int);
  msg = error_of([&] { load_model(path, torch::kCPU); });
  EXPECT_TRUE(contains(msg, path + ": weights do not fit the architecture")) << msg;
  EXPECT_TRUE(contains(msg, "is Int, the model needs Float")) << msg;
}

TEST_F(HostileCheckpoint, ArchitectureValuesAreBoundedAtLoad) {
  Checkpoint c = ckpt_;
  c.arch.roi_pool_size = 2000;
  const std::string path = dir_.file("pool2000.pt");
  save_checkpoint(c, path);
  const std::string msg = error_of([&] { load_checkpoint(path); });
  EXPECT_TRUE(contains(msg, "roi_pool_size is 2000, above the bound")) << msg;
}

TEST_F(HostileCheckpoint, NotARegularFileIsRefusedBeforeReading) {
  EXPECT_EQ(error_of([] { load_checkpoint("/dev/zero"); }),
            "/dev/zero: not a regular file; a checkpoint is a file written by import_caffemodel or train_net");
  EXPECT_TRUE(contains(error_of([&] { load_checkpoint(dir_.path().string()); }), "not a regular file"));
}

// ---- images ----

std::string jpeg_with_size(int width, int height) {
  std::string b = slurp(kMessi);
  for (size_t i = 2; i + 9 < b.size();) {  // walk the segments to the frame header
    const auto m = static_cast<uint8_t>(b[i + 1]);
    const size_t len = (static_cast<uint8_t>(b[i + 2]) << 8) | static_cast<uint8_t>(b[i + 3]);
    if (m == 0xC0 || m == 0xC2) {
      b[i + 5] = static_cast<char>(height >> 8), b[i + 6] = static_cast<char>(height & 0xFF);
      b[i + 7] = static_cast<char>(width >> 8), b[i + 8] = static_cast<char>(width & 0xFF);
      return b;
    }
    i += 2 + len;
  }
  ADD_FAILURE() << "no SOF in " << kMessi;
  return b;
}

TEST(HostileImages, JpegDeclaringThirtyThousandSquaredIsRefusedBeforeDecoding) {
  TempDir dir;
  const std::string path = dir.file("bomb.jpg");
  spit(path, jpeg_with_size(30000, 30000));
  EXPECT_EQ(error_of([&] { read_image(path); }),
            path + ": declares 30000x30000 = 900000000 pixels, above the limit of 89478485 (--max-image-pixels; a "
                   "decompression bomb?)");
  ImageReadOptions low;
  low.max_pixels = 1000;
  EXPECT_TRUE(contains(error_of([&] { read_image(kMessi, low); }), "above the limit of 1000"));
  EXPECT_FALSE(read_image(kMessi).empty());
}

TEST(HostileImages, PngChunkLongerThanTheFileIsRefused) {
  std::vector<uint8_t> png;
  cv::imencode(".png", cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)), png);
  std::string b(png.begin(), png.end());
  // A tEXt chunk declaring 2 GB, inserted after IHDR (8 + 25 bytes).
  const std::string chunk = std::string("\x7f\xff\xff\xf0", 4) + "tEXt" + "abc";
  b.insert(33, chunk);
  TempDir dir;
  const std::string path = dir.file("chunk.png");
  spit(path, b);
  EXPECT_TRUE(contains(error_of([&] { read_image(path); }), path + ": corrupt PNG (chunk 'tEXt' declares 2147483632"));

  // An IHDR declaring 100000 x 100000.
  std::string big(png.begin(), png.end());
  const char dims[8] = {0, 1, static_cast<char>(0x86), static_cast<char>(0xA0), 0, 1, static_cast<char>(0x86),
                        static_cast<char>(0xA0)};
  big.replace(16, 8, dims, 8);
  spit(path, big);
  EXPECT_TRUE(contains(error_of([&] { read_image(path); }), "declares 100000x100000"));
}

TEST(HostileImages, BmpHeaderIsCheckedToo) {
  std::vector<uint8_t> bmp;
  cv::imencode(".bmp", cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 2, 3)), bmp);
  std::string b(bmp.begin(), bmp.end());
  const int32_t w = 50000, h = -50000;  // top-down rows
  std::memcpy(&b[18], &w, 4);
  std::memcpy(&b[22], &h, 4);
  TempDir dir;
  spit(dir.file("big.bmp"), b);
  EXPECT_TRUE(contains(error_of([&] { read_image(dir.file("big.bmp")); }), "declares 50000x50000"));
}

TEST(HostileImages, TruncatedJpegIsRefusedUnlessAccepted) {
  TempDir dir;
  const std::string whole = slurp(kMessi);
  const std::string path = dir.file("cut.jpg");
  for (double keep : {0.95, 0.6, 0.2}) {
    spit(path, whole.substr(0, static_cast<size_t>(whole.size() * keep)));
    EXPECT_TRUE(contains(error_of([&] { read_image(path); }), path + ": truncated JPEG")) << keep;
    ImageReadOptions accept;
    accept.accept_truncated = true;
    const cv::Mat im = read_image(path, accept);  // libjpeg fills the rest grey
    EXPECT_EQ(im.size(), read_image(kMessi).size());
  }
  // Bytes after the EOI marker (some cameras append data) are not a truncation.
  spit(path, whole + "trailing junk");
  EXPECT_FALSE(read_image(path).empty());
}

TEST(HostileImages, OnlyRegularFilesOfBoundedSizeAreRead) {
  EXPECT_EQ(error_of([] { read_image("/dev/zero"); }), "/dev/zero: not a regular file");
  TempDir dir;
  EXPECT_EQ(error_of([&] { read_image(dir.path().string()); }), dir.path().string() + ": not a regular file");
  const std::string fifo = dir.file("fifo.jpg");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { read_image(fifo); }), fifo + ": not a regular file");  // and does not block
  const std::string sparse = dir.file("huge.jpg");
  fs::copy_file(kMessi, sparse);
  fs::resize_file(sparse, kMaxImageFileBytes + 1);
  EXPECT_TRUE(contains(error_of([&] { read_image(sparse); }), "larger than the bound"));
}

TEST(HostileImages, ImagesTheOriginalCannotScaleAreRefusedWithAReason) {
  const std::vector<double> means{102.9801, 115.9465, 122.7717};
  // 20000x1 at 600/1000: scale 0.05, cv2.resize gets 1000x0 and the original fails.
  const std::string thin =
      error_of([&] { prepare_image(cv::Mat(1, 20000, CV_8UC3, cv::Scalar::all(9)), means, 600, 1000); });
  EXPECT_EQ(thin,
            "image of 20000x1 pixels: too small or too elongated: scaled by 0.050000 it becomes 1000x0, and the "
            "network needs at least 3 pixels a side (the original fails on it too)");
  // 10000x10: 1000x1, an empty pool1 in Caffe.
  EXPECT_TRUE(contains(error_of([&] { prepare_image(cv::Mat(10, 10000, CV_8UC3), means, 600, 1000); }), "1000x1"));
  // 1x1 scales up to 600x600, which the original processes: so do we.
  EXPECT_EQ(prepare_image(cv::Mat(1, 1, CV_8UC3, cv::Scalar::all(9)), means, 600, 1000).blob.sizes(),
            torch::IntArrayRef({1, 3, 600, 600}));
  // 10000x30: 1000x3, the smallest side the network takes.
  EXPECT_EQ(prepare_image(cv::Mat(30, 10000, CV_8UC3), means, 600, 1000).blob.size(2), 3);
}

TEST(HostileThreads, DecodeThreadsAreBounded) {
  auto prepare = [](size_t) { return PreparedImage{}; };
  EXPECT_EQ(error_of([&] { ImagePrefetcher(4, prepare, 1000, 4); }),
            "--decode-threads: must be between 1 and 64, got 1000");
  EXPECT_EQ(error_of([&] { ImagePrefetcher(4, prepare, 0, 4); }), "--decode-threads: must be between 1 and 64, got 0");
  ImagePrefetcher ok(3, prepare, kMaxDecodeThreads, 4);
  PrefetchedImage item;
  int n = 0;
  while (ok.next(item)) ++n;
  EXPECT_EQ(n, 3);
}

// ---- the tool, end to end ----

TEST_F(HostileCheckpoint, GenerateTsvSkipsAndListsHostileImagesInOneLineEach) {
  const fs::path images = dir_.path() / "images";
  fs::create_directories(images);
  fs::copy_file(kMessi, images / "ok.jpg");
  cv::imwrite((images / "tiny.png").string(), cv::Mat(1, 1, CV_8UC3, cv::Scalar::all(90)));
  cv::imwrite((images / "thin.png").string(), cv::Mat(1, 20000, CV_8UC3, cv::Scalar::all(90)));
  cv::imwrite((images / "flat.png").string(), cv::Mat(10, 10000, CV_8UC3, cv::Scalar::all(90)));
  cv::imwrite((images / "edge.png").string(), cv::Mat(30, 10000, CV_8UC3, cv::Scalar::all(90)));
  const std::string whole = slurp(kMessi);
  spit((images / "cut.jpg").string(), whole.substr(0, whole.size() / 2));
  spit((images / "bomb.jpg").string(), jpeg_with_size(30000, 30000));

  const std::string tool = std::string(BUA_BIN_DIR) + "/generate_tsv --net " + path_ + " --images " + images.string();
  const std::string out = dir_.file("out.tsv");
  const auto r = bua::testing::run_command(tool + " --out " + out);
  EXPECT_FALSE(contains(r.output, "frame #")) << r.output;
  EXPECT_FALSE(contains(r.output, "Exception raised from")) << r.output;
  const std::string failures = slurp(out + ".failures.txt");
  for (const char* line : {"too small or too elongated: scaled by 0.050000 it becomes 1000x0",
                           "it becomes 1000x1", "truncated JPEG", "declares 30000x30000"})
    EXPECT_TRUE(contains(failures, line)) << line << "\n" << failures;
  for (const char* name : {"ok.jpg", "edge.png"}) EXPECT_FALSE(contains(failures, name)) << failures;
  // The 1x1 image scales to 600x600, as in the original, and reaches the network (whose random weights may
  // find no box in a flat image): never refused for its size. The 1000x3 one is extracted.
  EXPECT_FALSE(contains(failures, "1x1 pixels")) << failures;
  const std::string rows = slurp(out);
  for (const char* id : {"ok\t", "edge\t"}) EXPECT_TRUE(contains(rows, id)) << id;

  // --accept-truncated extracts the cut JPEG too.
  const std::string out2 = dir_.file("out2.tsv");
  bua::testing::run_command(tool + " --accept-truncated --out " + out2);
  EXPECT_TRUE(contains(slurp(out2), "cut\t"));
  EXPECT_FALSE(contains(slurp(out2 + ".failures.txt"), "truncated"));

  const auto threads = bua::testing::run_command(tool + " --decode-threads 1000 --out " + dir_.file("t.tsv"));
  EXPECT_NE(threads.exit_code, 0);
  EXPECT_TRUE(contains(threads.output, "--decode-threads: must be between 1 and 64, got 1000")) << threads.output;
  EXPECT_FALSE(contains(threads.output, "terminate")) << threads.output;
}

}  // namespace
}  // namespace bua
