#include "bua/io/caffe_model.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "bua/util/error.h"
#include "caffe.pb.h"

namespace bua {

const CaffeLayer* CaffeModel::find(const std::string& layer_name) const {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    if (it->name == layer_name) return &*it;
  return nullptr;
}

std::vector<const CaffeLayer*> CaffeModel::find_all(const std::string& layer_name) const {
  std::vector<const CaffeLayer*> out;
  for (const auto& l : layers)
    if (l.name == layer_name) out.push_back(&l);
  return out;
}

namespace {

// Element count of `shape`, or -1 when a dimension is negative or the product overflows (corrupt file).
int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && n > INT64_MAX / d)) return -1;
    n *= d;
  }
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
  const int64_t expected = element_count(out.shape);
  if (expected < 0) fail(where, "invalid blob shape (negative or overflowing dimensions)");
  const int64_t held = b.data_size() > 0 ? b.data_size() : b.double_data_size();
  // A file cut inside a layer fails to parse (each layer is length-prefixed), but a corrupt or
  // hand-made blob can parse with data that does not fill its shape.
  if (held != expected)
    fail(where, "blob holds " + std::to_string(held) + " values but its shape needs " + std::to_string(expected) +
                    " (truncated or corrupt file?)");
  if (b.data_size() > 0) out.data.assign(b.data().begin(), b.data().end());
  else out.data.assign(b.double_data().begin(), b.double_data().end());  // double → float
  return out;
}

// Parses the whole file as one NetParameter; fails naming the file when it cannot be opened, read or parsed.
void parse_net(const std::string& path, caffe::NetParameter& net) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, std::string("cannot open Caffe model: ") + std::strerror(errno));
  bool parsed = false;
  int read_errno = 0;
  {
    google::protobuf::io::FileInputStream file(fd);
    google::protobuf::io::CodedInputStream coded(&file);
    coded.SetTotalBytesLimit(INT_MAX);  // released models are ~250 MB, past protobuf's default limit
    parsed = net.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
    read_errno = file.GetErrno();
  }
  ::close(fd);
  if (read_errno != 0) fail(path, std::string("cannot read Caffe model: ") + std::strerror(read_errno));
  if (!parsed)
    fail(path, "not a Caffe model: the protobuf NetParameter does not parse (truncated or another file type)");
}

}  // namespace

CaffeModel read_caffemodel(const std::string& path) {
  caffe::NetParameter net;
  parse_net(path, net);
  if (net.layers_size() > 0 && net.layer_size() == 0)
    fail(path, "V1 format (NetParameter.layers); upgrade it with Caffe's upgrade_net_proto_binary first");
  if (net.layer_size() == 0) fail(path, "no layers: an empty net, or not a Caffe model");
  CaffeModel model;
  model.name = net.name();
  model.layers.reserve(static_cast<size_t>(net.layer_size()));
  for (int i = 0; i < net.layer_size(); ++i) {
    // Take the layer out of the message so its blobs are freed once copied: peak memory stays near
    // one copy of the weights rather than two.
    caffe::LayerParameter l;
    l.Swap(net.mutable_layer(i));
    CaffeLayer layer;
    layer.name = l.name();
    layer.type = l.type();
    layer.bottoms.assign(l.bottom().begin(), l.bottom().end());
    layer.tops.assign(l.top().begin(), l.top().end());
    layer.blobs.reserve(static_cast<size_t>(l.blobs_size()));
    for (int j = 0; j < l.blobs_size(); ++j)
      layer.blobs.push_back(convert_blob(l.blobs(j), path + ": layer " + l.name() + " blob " + std::to_string(j)));
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
