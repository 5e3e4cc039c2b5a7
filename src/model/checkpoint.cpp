#include "bua/model/checkpoint.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/storage_context.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bua/io/npz.h"
#include "bua/io/pickle.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/error_text.h"

namespace bua {
namespace {

constexpr const char* kFormat = "bua-checkpoint-v1";

c10::List<std::string> to_list(const std::vector<std::string>& v) {
  c10::List<std::string> l;
  for (const auto& s : v) l.push_back(s);
  return l;
}

c10::Dict<std::string, torch::Tensor> to_dict(const std::map<std::string, torch::Tensor>& m) {
  c10::Dict<std::string, torch::Tensor> d;
  for (const auto& [k, v] : m) d.insert(k, v.detach().cpu().contiguous());
  return d;
}

const c10::IValue& field(const c10::Dict<c10::IValue, c10::IValue>& d, const std::string& key, const std::string& path) {
  auto it = d.find(c10::IValue(key));
  if (it == d.end()) fail(path, "checkpoint has no '" + key + "' entry");
  return it->value();
}

// Checkpoints beyond this are not ours (ResNet-101 VG with its solver state is about 0.6 GB); the bound keeps
// a device or a wrong file from being read whole into memory.
constexpr uintmax_t kMaxCheckpointBytes = uintmax_t(16) << 30;

std::string read_checkpoint_bytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail(path, "cannot open checkpoint (no such file)");
  if (!fs::is_regular_file(st)) fail(path, "not a regular file; a checkpoint is a file written by import_caffemodel or train_net");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read checkpoint size: " + ec.message());
  if (size > kMaxCheckpointBytes)
    fail(path, "checkpoint of " + std::to_string(size >> 20) + " MiB is larger than the bound of " +
                   std::to_string(kMaxCheckpointBytes >> 20) + " MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open checkpoint");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) fail(path, "checkpoint shorter than its size (read failed)");
  return bytes;
}

// torch::pickle_load sizes each storage from the element count in the pickle, not from the record that holds
// its bytes, so a forged count reads past the record. Here each storage is made from its record first (its
// size in bytes is the record's), and the pickle only picks them up; check_tensor then holds every tensor
// to its storage.
c10::IValue unpickle_with_record_storages(const std::string& bytes, const std::string& path) {
  caffe2::serialize::PyTorchStreamReader reader(
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
  // Lengths inside the pickle before LibTorch's unpickler allocates what they say.
  if (reader.hasRecord("data.pkl")) {
    auto [pkl, pkl_size] = reader.getRecord("data.pkl");
    check_pickle_lengths(std::string(static_cast<const char*>(pkl.get()), pkl_size), path + ": data.pkl");
  }
  auto storages = std::make_shared<torch::jit::DeserializationStorageContext>();
  const std::string data_dir = "data/";
  for (const std::string& record : reader.getAllRecords()) {
    if (record.compare(0, data_dir.size(), data_dir) != 0 || record.size() == data_dir.size()) continue;
    auto [data, size] = reader.getRecord(record);
    storages->addStorage(record.substr(data_dir.size()),
                         c10::Storage(c10::Storage::use_byte_size_t(), size, std::move(data), nullptr, false));
  }
  return torch::jit::readArchiveAndTensors("data", "", "", c10::nullopt, c10::nullopt, c10::nullopt, reader,
                                           torch::jit::Unpickler::defaultTypeParser, storages);
}

// A tensor as a checkpoint may hold it: a plain dense CPU tensor of a real type whose elements all lie
// inside its storage.
void check_tensor(const torch::Tensor& t, const std::string& path, const char* group, const std::string& name) {
  const std::string where = path + ": tensor " + group + "/" + name;
  if (!t.defined()) fail(where, "is undefined");
  if (t.layout() != torch::kStrided || t.is_quantized() || !t.device().is_cpu())
    fail(where, "is not a dense CPU tensor");
  const auto type = t.scalar_type();
  if (type != torch::kFloat && type != torch::kDouble && type != torch::kHalf && type != torch::kBFloat16 &&
      type != torch::kLong && type != torch::kInt && type != torch::kByte && type != torch::kBool)
    fail(where, std::string("has dtype ") + c10::toString(type) + ", which no BUA checkpoint holds");
  if (t.storage_offset() < 0) fail(where, "has a negative storage offset");
  if (t.numel() == 0) return;
  // The last element's index: offset + sum (size_i - 1) * stride_i, each term checked for overflow.
  int64_t last = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    int64_t term = 0;
    if (t.size(d) < 0 || t.stride(d) < 0) fail(where, "has a negative size or stride");
    if (__builtin_mul_overflow(t.size(d) - 1, t.stride(d), &term) || __builtin_add_overflow(last, term, &last))
      fail(where, "has sizes and strides that overflow");
  }
  const uint64_t item = t.element_size();
  const uint64_t have = t.storage().nbytes() / item;  // whole elements in the record
  if (static_cast<uint64_t>(last) >= have) {
    std::ostringstream m;
    m << "(" << c10::toString(type) << ", sizes " << t.sizes() << ", strides " << t.strides() << ", offset "
      << t.storage_offset() << ") reaches element " << last << " of a record that holds " << have
      << " (corrupt checkpoint)";
    fail(where, m.str());
  }
}

}  // namespace

void save_checkpoint(const Checkpoint& c, const std::string& path) {
  c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
  d.insert("format", std::string(kFormat));
  d.insert("arch", to_yaml(c.arch));
  d.insert("classes", to_list(c.classes));
  d.insert("attributes", to_list(c.attributes));
  d.insert("state_dict", to_dict(c.state));
  d.insert("extra", to_dict(c.extra));
  d.insert("iteration", c.iteration);
  d.insert("config", c.config_yaml);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
  // Through a temp file that is removed on any failure (disk full): no half checkpoint, no stray temp.
  AtomicFile file(path, /*sync_on_commit=*/true);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

Checkpoint load_checkpoint(const std::string& path) {
  const std::string bytes = read_checkpoint_bytes(path);
  // Every member's crc32 first: LibTorch's reader does not check them, and a flipped bit in a weight
  // would otherwise load and run.
  read_stored_zip(bytes, path, "BUA checkpoint (torch zip)");
  c10::IValue v;
  try {
    v = unpickle_with_record_storages(bytes, path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(path, "not a BUA checkpoint (unreadable torch archive): " + one_line_error(e));
  }
  if (!v.isGenericDict()) fail(path, "not a BUA checkpoint (top level is not a dict)");
  const auto d = v.toGenericDict();
  if (field(d, "format", path).toStringRef() != kFormat) fail(path, "unknown checkpoint format");
  Checkpoint c;
  try {
    c.arch = arch_from_yaml_string(field(d, "arch", path).toStringRef(), path);  // bounds every value
    for (const auto& s : field(d, "classes", path).toListRef()) c.classes.push_back(s.toStringRef());
    for (const auto& s : field(d, "attributes", path).toListRef()) c.attributes.push_back(s.toStringRef());
    for (const auto& kv : field(d, "state_dict", path).toGenericDict())
      c.state[kv.key().toStringRef()] = kv.value().toTensor();
    for (const auto& kv : field(d, "extra", path).toGenericDict()) c.extra[kv.key().toStringRef()] = kv.value().toTensor();
    c.iteration = field(d, "iteration", path).toInt();
    c.config_yaml = field(d, "config", path).toStringRef();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(path, "corrupt checkpoint: " + one_line_error(e));
  }
  for (const auto& [name, t] : c.state) check_tensor(t, path, "state_dict", name);
  for (const auto& [name, t] : c.extra) check_tensor(t, path, "extra", name);
  if (static_cast<int64_t>(c.classes.size()) != c.arch.num_classes)
    fail(path, "the class vocabulary has " + std::to_string(c.classes.size()) + " entries but the model " +
                   std::to_string(c.arch.num_classes) + " classes");
  if (c.arch.has_attributes && static_cast<int64_t>(c.attributes.size()) != c.arch.num_attributes)
    fail(path, "the attribute vocabulary has " + std::to_string(c.attributes.size()) + " entries but the model " +
                   std::to_string(c.arch.num_attributes) + " attributes");
  return c;
}

std::map<std::string, torch::Tensor> state_of(const torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> s;
  for (const auto& p : module.named_parameters()) s[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) s[b.key()] = b.value();
  return s;
}

void load_state(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& state, const std::string& source) {
  auto mine = state_of(module);
  std::vector<std::string> problems;
  for (const auto& [name, t] : mine) {
    auto it = state.find(name);
    if (it == state.end()) problems.push_back("missing " + name);
    else if (it->second.sizes() != t.sizes()) {
      std::ostringstream m;
      m << "shape of " << name << " is " << it->second.sizes() << ", the model needs " << t.sizes();
      problems.push_back(m.str());
    } else if (it->second.is_floating_point() != t.is_floating_point()) {
      // A float weight stored as integers (or the reverse) is a corrupt record, not a conversion to make.
      problems.push_back("dtype of " + name + " is " + std::string(c10::toString(it->second.scalar_type())) +
                         ", the model needs " + std::string(c10::toString(t.scalar_type())));
    }
  }
  for (const auto& kv : state)
    if (!mine.count(kv.first)) problems.push_back("unexpected " + kv.first);
  if (!problems.empty()) {
    std::string msg = "weights do not fit the architecture:";
    for (size_t i = 0; i < problems.size() && i < 20; ++i) msg += "\n  " + problems[i];
    if (problems.size() > 20) msg += "\n  ... and " + std::to_string(problems.size() - 20) + " more";
    fail(source, msg);
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : mine) t.copy_(state.at(name));
}

LoadedModel load_model(const std::string& path, const torch::Device& device) {
  LoadedModel m;
  m.checkpoint = load_checkpoint(path);
  m.detector = Detector(m.checkpoint.arch);
  load_state(*m.detector, m.checkpoint.state, path);
  m.detector->to(device);
  m.detector->eval();
  return m;
}

std::vector<std::string> read_vocab_file(const std::string& path, const std::string& first) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot open vocabulary file");
  std::vector<std::string> v{first};
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) fail(path + ":" + std::to_string(n), "empty vocabulary line");
    v.push_back(line);
  }
  if (v.size() == 1) fail(path, "empty vocabulary");
  return v;
}

}  // namespace bua
