// Reading Caffe .caffemodel files (a binary NetParameter in the V2 `layer` format): layer names, types,
// bottoms, tops and parameter blobs. Torch-free; the mapping onto our modules lives in model/caffe_import.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

struct CaffeBlob {
  std::vector<int64_t> shape;  // BlobShape dims; for legacy files the 4-D (num, channels, height, width)
  std::vector<float> data;
  bool legacy_shape = false;
};

struct CaffeLayer {
  std::string name, type;
  std::vector<std::string> bottoms, tops;
  std::vector<CaffeBlob> blobs;
};

struct CaffeModel {
  std::string name;
  std::vector<CaffeLayer> layers;
  // The LAST layer of that name (nullptr when absent): Caffe's Net::CopyTrainedLayersFrom copies every source
  // layer in file order, so of two layers with one name the later one's weights are what the net ends with.
  const CaffeLayer* find(const std::string& layer_name) const;
  // Every layer of that name, in file order (Caffe aborts when any of them does not fit the target layer).
  std::vector<const CaffeLayer*> find_all(const std::string& layer_name) const;
};

// Throws bua::Error naming the file when it is missing or unreadable, not a NetParameter, truncated, in the
// V1 format, holds no layers, or has a blob whose data does not fill its shape. A file cut exactly between
// two layers is a valid smaller net: the layer-by-layer check against the prototxt (model/caffe_import)
// is what reports the missing layers. double_data blobs are converted to float.
CaffeModel read_caffemodel(const std::string& path);

// Whether a blob has `expected` shape. Legacy shapes are right-aligned and padded with 1s to 4 dims
// (a bias of 21 is 1x1x1x21), so they match the expected shape left-padded with 1s.
bool blob_shape_matches(const CaffeBlob& blob, const std::vector<int64_t>& expected);

}  // namespace bua
