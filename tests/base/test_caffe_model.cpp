#include "bua/io/caffe_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>

#include "bua/util/error.h"
#include "bua_test_paths.h"
#include "caffe.pb.h"
#include "test_support.h"

using bua::CaffeBlob;
using bua::CaffeModel;
using bua::read_caffemodel;

using bua::testing::error_of;

namespace {

const std::string kDir = std::string(BUA_TEST_DATA) + "/caffe";

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Both reference files are ~5.7 MB: read each once for the whole program.
const CaffeModel& modern() {
  static const CaffeModel m = read_caffemodel(kDir + "/weights.caffemodel");
  return m;
}
const CaffeModel& legacy() {
  static const CaffeModel m = read_caffemodel(kDir + "/weights_legacy.caffemodel");
  return m;
}
const nlohmann::json& manifest() {
  static const nlohmann::json j = nlohmann::json::parse(read_bytes(kDir + "/manifest.json"));
  return j;
}

// Checks a model against the manifest: layer list, types, bottoms, tops and blob shapes (through
// blob_shape_matches, so legacy padded shapes are accepted), and the parameter totals.
void expect_matches_manifest(const CaffeModel& model, bool legacy_shapes) {
  const auto& layers = manifest()["layers"];
  EXPECT_EQ(model.name, manifest()["name"].get<std::string>());
  ASSERT_EQ(model.layers.size(), layers.size());
  size_t with_blobs = 0, parameters = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& want = layers[i];
    const bua::CaffeLayer& got = model.layers[i];
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.name, want["name"].get<std::string>());
    EXPECT_EQ(got.type, want["type"].get<std::string>());
    EXPECT_EQ(got.bottoms, want["bottoms"].get<std::vector<std::string>>());
    EXPECT_EQ(got.tops, want["tops"].get<std::vector<std::string>>());
    ASSERT_EQ(got.blobs.size(), want["blobs"].size());
    with_blobs += got.blobs.empty() ? 0 : 1;
    for (size_t b = 0; b < got.blobs.size(); ++b) {
      const auto shape = want["blobs"][b].get<std::vector<int64_t>>();
      EXPECT_EQ(got.blobs[b].legacy_shape, legacy_shapes);
      EXPECT_EQ(got.blobs[b].shape.size(), legacy_shapes ? 4u : shape.size());
      EXPECT_TRUE(bua::blob_shape_matches(got.blobs[b], shape));
      parameters += got.blobs[b].data.size();
    }
  }
  EXPECT_EQ(layers.size(), 170u);
  EXPECT_EQ(with_blobs, 113u);
  EXPECT_EQ(parameters, 1423727u);
}

std::string varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s += static_cast<char>((v & 0x7f) | 0x80);
  return s + static_cast<char>(v);
}

}  // namespace

TEST(CaffeModel, ModernFileMatchesManifest) { expect_matches_manifest(modern(), false); }

TEST(CaffeModel, LegacyFileMatchesManifestThroughPaddedShapes) {
  expect_matches_manifest(legacy(), true);
  // Caffe's LegacyShape: right-aligned, padded with 1.
  const auto* cls = legacy().find("cls_score");
  ASSERT_NE(cls, nullptr);
  const auto& weight_shape = modern().find("cls_score")->blobs[0].shape;
  ASSERT_EQ(weight_shape.size(), 2u);
  EXPECT_EQ(cls->blobs[0].shape, (std::vector<int64_t>{1, 1, weight_shape[0], weight_shape[1]}));
  EXPECT_EQ(cls->blobs[1].shape, (std::vector<int64_t>{1, 1, 1, weight_shape[0]}));
  EXPECT_EQ(legacy().find("bn_conv1")->blobs[2].shape, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(legacy().find("conv1")->blobs[0].shape, modern().find("conv1")->blobs[0].shape);  // NCHW already 4-D
}

TEST(CaffeModel, ModernAndLegacyHoldTheSameValues) {
  ASSERT_EQ(modern().layers.size(), legacy().layers.size());
  for (size_t i = 0; i < modern().layers.size(); ++i) {
    const auto& a = modern().layers[i];
    const auto& b = legacy().layers[i];
    ASSERT_EQ(a.name, b.name);
    ASSERT_EQ(a.blobs.size(), b.blobs.size()) << a.name;
    for (size_t k = 0; k < a.blobs.size(); ++k) {
      ASSERT_EQ(a.blobs[k].data.size(), b.blobs[k].data.size()) << a.name;
      EXPECT_EQ(std::memcmp(a.blobs[k].data.data(), b.blobs[k].data.data(), a.blobs[k].data.size() * sizeof(float)),
                0)
          << a.name << " blob " << k;
    }
  }
}

// The values read are the file's bytes: each checked blob appears in its layer's record as a packed
// float field (tag 5, wire type 2 = 0x2a, byte length, little-endian floats).
TEST(CaffeModel, BlobValuesAreTheFileBytes) {
  for (const char* file : {"weights.caffemodel", "weights_legacy.caffemodel"}) {
    const std::string bytes = read_bytes(kDir + "/" + file);
    const CaffeModel& model = std::string(file) == "weights.caffemodel" ? modern() : legacy();
    for (const char* name : {"conv1", "bn_conv1", "cls_score", "bbox_pred"}) {
      SCOPED_TRACE(std::string(file) + " " + name);
      const bua::CaffeLayer* layer = model.find(name);
      ASSERT_NE(layer, nullptr);
      const std::string record = "\x0a" + varint(std::strlen(name)) + name + "\x12";  // name (1), then type (2)
      const size_t layer_at = bytes.find(record);
      ASSERT_NE(layer_at, std::string::npos);
      size_t from = layer_at;
      for (const CaffeBlob& blob : layer->blobs) {
        ASSERT_FALSE(blob.data.empty());
        const size_t n = blob.data.size() * sizeof(float);
        const std::string field = "\x2a" + varint(n) + std::string(reinterpret_cast<const char*>(blob.data.data()), n);
        const size_t at = bytes.find(field, from);
        ASSERT_NE(at, std::string::npos);
        from = at + field.size();  // blobs follow one another within the layer
      }
      const size_t next_layer = bytes.find("\xa2\x06", layer_at + 1);  // tag of NetParameter.layer (100)
      EXPECT_TRUE(next_layer == std::string::npos || from <= next_layer);
    }
  }
}

TEST(CaffeModel, FindByName) {
  const auto* l = modern().find("bbox_pred");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->name, "bbox_pred");
  EXPECT_EQ(modern().find("no_such_layer"), nullptr);
}

TEST(CaffeModel, BlobShapeMatches) {
  CaffeBlob modern_blob{{21, 512}, {}, false};
  EXPECT_TRUE(bua::blob_shape_matches(modern_blob, {21, 512}));
  EXPECT_FALSE(bua::blob_shape_matches(modern_blob, {1, 1, 21, 512}));
  EXPECT_FALSE(bua::blob_shape_matches(modern_blob, {512, 21}));
  CaffeBlob legacy_blob{{1, 1, 21, 512}, {}, true};
  EXPECT_TRUE(bua::blob_shape_matches(legacy_blob, {21, 512}));
  EXPECT_TRUE(bua::blob_shape_matches(legacy_blob, {1, 1, 21, 512}));
  EXPECT_FALSE(bua::blob_shape_matches(legacy_blob, {512, 21}));
  EXPECT_FALSE(bua::blob_shape_matches(legacy_blob, {21}));
  EXPECT_FALSE(bua::blob_shape_matches(legacy_blob, {1, 1, 1, 21, 512}));
  EXPECT_TRUE(bua::blob_shape_matches(CaffeBlob{{1, 1, 1, 1}, {}, true}, {1}));
}

TEST(CaffeModel, DoubleDataIsConvertedToFloat) {
  bua::testing::TempDir dir;
  bua::caffe::NetParameter net;
  net.set_name("tiny");
  auto* layer = net.add_layer();
  layer->set_name("fc");
  layer->set_type("InnerProduct");
  auto* blob = layer->add_blobs();
  blob->mutable_shape()->add_dim(3);
  for (double v : {0.5, -1.25, 1e-3}) blob->add_double_data(v);
  write_bytes(dir.file("double.caffemodel"), net.SerializeAsString());

  const CaffeModel model = read_caffemodel(dir.file("double.caffemodel"));
  EXPECT_EQ(model.name, "tiny");
  ASSERT_EQ(model.layers.size(), 1u);
  ASSERT_EQ(model.layers[0].blobs.size(), 1u);
  EXPECT_EQ(model.layers[0].blobs[0].shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(model.layers[0].blobs[0].data, (std::vector<float>{0.5f, -1.25f, 1e-3f}));
}

// Every failure is a bua::Error that names the file.
TEST(CaffeModel, TruncatedCopiesAreRejected) {
  bua::testing::TempDir dir;
  const std::string bytes = read_bytes(kDir + "/weights.caffemodel");
  const size_t size = bytes.size();
  for (size_t cut : {size_t{1}, size_t{3}, size_t{100}, size_t{1000}, size / 4, size / 2, size - 1000, size - 1}) {
    const std::string path = dir.file("cut_" + std::to_string(cut) + ".caffemodel");
    write_bytes(path, bytes.substr(0, cut));
    const std::string err = error_of([&] { read_caffemodel(path); });
    EXPECT_NE(err.find(path), std::string::npos) << "cut at " << cut << ": '" << err << "'";
  }
}

TEST(CaffeModel, RandomBytesEmptyAndMissingFilesAreRejected) {
  bua::testing::TempDir dir;
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xff);
  write_bytes(dir.file("noise.caffemodel"), noise);
  write_bytes(dir.file("empty.caffemodel"), "");
  for (const std::string& path : {dir.file("noise.caffemodel"), dir.file("empty.caffemodel"),
                                  dir.file("missing.caffemodel"), dir.path().string()}) {
    const std::string err = error_of([&] { read_caffemodel(path); });
    EXPECT_NE(err.find(path), std::string::npos) << "'" << err << "'";
  }
  EXPECT_NE(error_of([&] { read_caffemodel(dir.file("empty.caffemodel")); }).find("no layers"), std::string::npos);
}

TEST(CaffeModel, V1FilesAreRejectedWithAHint) {
  bua::testing::TempDir dir;
  bua::caffe::NetParameter net;
  net.set_name("old");
  net.add_layers()->set_name("conv1");  // NetParameter.layers (2): the V1 format
  const std::string path = dir.file("v1.caffemodel");
  write_bytes(path, net.SerializeAsString());
  const std::string err = error_of([&] { read_caffemodel(path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("V1"), std::string::npos) << err;
  EXPECT_NE(err.find("upgrade_net_proto_binary"), std::string::npos) << err;
}

TEST(CaffeModel, BlobNotFillingItsShapeNamesTheLayer) {
  bua::testing::TempDir dir;
  bua::caffe::NetParameter net;
  auto* layer = net.add_layer();
  layer->set_name("conv_short");
  auto* blob = layer->add_blobs();
  for (int64_t d : {2, 3}) blob->mutable_shape()->add_dim(d);
  for (int i = 0; i < 5; ++i) blob->add_data(1.0f);
  const std::string path = dir.file("short.caffemodel");
  write_bytes(path, net.SerializeAsString());
  const std::string err = error_of([&] { read_caffemodel(path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("conv_short"), std::string::npos) << err;
}
