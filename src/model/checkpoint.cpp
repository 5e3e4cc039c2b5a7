#include "bua/model/checkpoint.h"

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "bua/util/error.h"

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
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) fail(path, "cannot write checkpoint");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail(path, "write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(path, "cannot rename the temporary checkpoint into place");
}

Checkpoint load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open checkpoint");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue v;
  try {
    v = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    fail(path, "not a BUA checkpoint (unreadable torch archive): " + std::string(e.what()).substr(0, 200));
  }
  if (!v.isGenericDict()) fail(path, "not a BUA checkpoint (top level is not a dict)");
  const auto d = v.toGenericDict();
  if (field(d, "format", path).toStringRef() != kFormat) fail(path, "unknown checkpoint format");
  Checkpoint c;
  try {
    c.arch = arch_from_yaml_string(field(d, "arch", path).toStringRef());
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
    fail(path, "corrupt checkpoint: " + std::string(e.what()).substr(0, 200));
  }
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
