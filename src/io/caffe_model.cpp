#include "bua/io/caffe_model.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <climits>
#include <fcntl.h>
#include <unistd.h>

#include "bua/util/error.h"
#include "caffe.pb.h"

namespace bua {

const CaffeLayer* CaffeModel::find(const std::string& layer_name) const {
  for (const auto& l : layers)
    if (l.name == layer_name) return &l;
  return nullptr;
}

namespace {

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

CaffeBlob convert_blob(const caffe::BlobProto& b, const std::string& where) {
  CaffeBlob out;
  if (b.has_shape()) {
    out.shape.assign(b.shape().dim().begin(), b.shape().dim().end());
  } else {
    out.legacy_shape = true;
    out.shape = {b.num(), b.channels(), b.height(), b.width()};
  }
  if (b.data_size() > 0) out.data.assign(b.data().begin(), b.data().end());
  else out.data.assign(b.double_data().begin(), b.double_data().end());
  for (int64_t d : out.shape)
    if (d < 0) fail(where, "negative blob dimension");
  const int64_t expected = element_count(out.shape);
  if (static_cast<int64_t>(out.data.size()) != expected)
    fail(where, "blob holds " + std::to_string(out.data.size()) + " values but its shape needs " +
                    std::to_string(expected) + " (truncated or corrupt file?)");
  return out;
}

}  // namespace

CaffeModel read_caffemodel(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "cannot open Caffe model");
  caffe::NetParameter net;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream file(fd);
    google::protobuf::io::CodedInputStream coded(&file);
    coded.SetTotalBytesLimit(INT_MAX);  // released models are ~250 MB, past protobuf's 64 MB default
    parsed = net.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
  }
  ::close(fd);
  if (!parsed) fail(path, "not a Caffe model: the protobuf NetParameter does not parse (truncated or another file type)");
  if (net.layers_size() > 0 && net.layer_size() == 0)
    fail(path, "V1 Caffe model (NetParameter.layers); upgrade it with Caffe's upgrade_net_proto_binary first");
  if (net.layer_size() == 0) fail(path, "no layers: not a Caffe model, or an empty one");
  CaffeModel model;
  model.name = net.name();
  model.layers.reserve(static_cast<size_t>(net.layer_size()));
  for (const auto& l : net.layer()) {
    CaffeLayer layer;
    layer.name = l.name();
    layer.type = l.type();
    layer.bottoms.assign(l.bottom().begin(), l.bottom().end());
    layer.tops.assign(l.top().begin(), l.top().end());
    for (int i = 0; i < l.blobs_size(); ++i)
      layer.blobs.push_back(convert_blob(l.blobs(i), path + ": layer " + l.name() + " blob " + std::to_string(i)));
    model.layers.push_back(std::move(layer));
  }
  return model;
}

bool blob_shape_matches(const CaffeBlob& blob, const std::vector<int64_t>& expected) {
  if (!blob.legacy_shape) return blob.shape == expected;
  if (expected.size() > 4) return false;
  std::vector<int64_t> padded(4 - expected.size(), 1);
  padded.insert(padded.end(), expected.begin(), expected.end());
  return blob.shape == padded;
}

}  // namespace bua
