// Fuzz targets of the parsers that need Torch (issue #14): checkpoints (torch.save zip + pickle) and the
// given-boxes JSON of generate_tsv --boxes. Built into an ordinary test binary, without sanitizers
// (libtorch is not instrumented); the crash handler of fuzz_runner.h saves the input of a segfault.
#include <gtest/gtest.h>

#include <cmath>

#include "bua/config/arch.h"
#include "bua/features/given_boxes.h"
#include "bua/io/npz.h"
#include "bua/model/checkpoint.h"
#include "fuzz_runner.h"

namespace bua::fuzz {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw Violation(what);
}

// Whether every stored member matches the crc32 its central directory entry gives. An archive whose
// directory cannot be walked counts as matching: the loader must refuse it anyway.
bool zip_crcs_match(const std::string& z) {
  for (const ZipMember& m : zip_stored_members(z))
    if (crc32(z.data() + m.data, m.size) != m.crc) return false;
  return true;
}

// Item 4: a tensor handed out must lie inside its storage, whatever offset, sizes and strides the
// file claimed. Checked before the tensor is read, so a bad one is reported rather than read.
void require_in_bounds(const std::string& name, const torch::Tensor& t) {
  require(t.defined(), name + ": an undefined tensor was accepted");
  if (t.numel() == 0) return;
  require(t.storage_offset() >= 0, name + ": a negative storage offset was accepted");
  unsigned __int128 last = static_cast<uint64_t>(t.storage_offset());
  for (int64_t d = 0; d < t.dim(); ++d) {
    require(t.stride(d) >= 0, name + ": a negative stride was accepted");
    last += static_cast<unsigned __int128>(t.size(d) - 1) * static_cast<uint64_t>(t.stride(d));
  }
  const unsigned __int128 need = (last + 1) * t.element_size();
  require(need <= t.storage().nbytes(), name + ": a tensor reaching past the end of its storage was accepted");
}

Checkpoint small_checkpoint() {
  Checkpoint c;
  c.arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml");
  c.classes = {"__background__", "a", "b", "c", "d", "e", "f", "g", "h"};
  c.attributes = {"__no_attribute__", "p", "q", "r", "s", "t", "u", "v", "w"};
  c.state["conv.weight"] = torch::arange(24, torch::kFloat32).view({2, 3, 2, 2});
  c.state["conv.bias"] = torch::tensor({0.5f, -1.5f});
  c.state["bn.num_batches_tracked"] = torch::tensor(int64_t{7});
  c.extra["momentum.conv.bias"] = torch::zeros({2});
  c.iteration = 12;
  c.config_yaml = "TEST:\n  SCALES: [600]\n";
  return c;
}

std::string saved_bytes(const Checkpoint& c, const Scratch& scratch, const std::string& name) {
  const std::string path = scratch.file(name);
  save_checkpoint(c, path);
  return read_bytes(path);
}

TEST(Fuzz, Checkpoint) {
  Scratch scratch("checkpoint");
  Target t{"checkpoint",
           [&](const std::string& in) {
             const Checkpoint c = load_checkpoint(scratch.put("in.pt", in));
             require(zip_crcs_match(in), "a checkpoint whose zip crc32 does not match its data was accepted (item 4)");
             for (const auto* tensors : {&c.state, &c.extra})
               for (const auto& [name, tensor] : *tensors) {
                 require_in_bounds(name, tensor);
                 (void)tensor.to(torch::kDouble).sum().item<double>();  // read every element, as a model would
               }
           },
           [](std::string& in, Random&) { fix_zip_crcs(in, [](const char* p, size_t n) { return crc32(p, n); }); },
           1 << 16};
  Checkpoint with_view = small_checkpoint();
  // Two tensors sharing one storage, one at an offset with a stride: the records item 4 is about.
  torch::Tensor base = torch::arange(16, torch::kFloat32);
  with_view.state["shared.a"] = base.narrow(0, 0, 8);
  with_view.state["shared.b"] = base.narrow(0, 4, 12).view({3, 4}).t();
  const std::vector<std::string> seeds = {saved_bytes(small_checkpoint(), scratch, "a.pt"),
                                          saved_bytes(with_view, scratch, "b.pt")};
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

// The CRC check above and the runner's CRC refresh, on a real checkpoint: a flipped data byte is seen, and
// refreshing the CRCs makes the archive consistent again (else the target's item-4 check could not fail,
// or would fail on every mutant the fixup sends past the loader's own check).
TEST(FuzzRunner, ZipCrcCheckAndRefresh) {
  Scratch scratch("zip_crc");
  std::string z = saved_bytes(small_checkpoint(), scratch, "a.pt");
  ASSERT_TRUE(zip_crcs_match(z));
  bool complete = false;
  const auto members = zip_stored_members(z, &complete);
  ASSERT_TRUE(complete);
  ASSERT_GE(members.size(), 3u);  // data.pkl, the tensors, version
  const ZipMember& m = members.back();
  ASSERT_GT(m.size, 0u);
  z[m.data + m.size / 2] ^= 0x01;
  EXPECT_FALSE(zip_crcs_match(z));
  fix_zip_crcs(z, [](const char* p, size_t n) { return crc32(p, n); });
  EXPECT_TRUE(zip_crcs_match(z));
}

// generate_tsv --boxes FILE: {"id": [[x1, y1, x2, y2], ...]}. Accepted boxes are usable (item 8).
TEST(Fuzz, GivenBoxes) {
  Scratch scratch("given_boxes");
  Target t{"given_boxes", [&](const std::string& in) {
             const auto boxes = read_given_boxes(scratch.put("boxes.json", in));
             require(!boxes.empty(), "a boxes file without any image was accepted (item 8: --boxes {})");
             for (const auto& [id, b] : boxes) {
               require(b.dim() == 2 && b.size(0) >= 1 && b.size(1) == 4, "image " + id + ": not [N, 4] boxes");
               const auto a = b.to(torch::kDouble).contiguous();
               const double* p = a.data_ptr<double>();
               for (int64_t i = 0; i < a.size(0); ++i, p += 4) {
                 for (int k = 0; k < 4; ++k) require(std::isfinite(p[k]), "image " + id + ": a non-finite coordinate");
                 require(p[0] <= p[2] && p[1] <= p[3], "image " + id + ": a box with x2 < x1 or y2 < y1");
               }
             }
           }};
  const std::vector<std::string> seeds = {
      R"({"1": [[0, 0, 10, 10], [5.5, 5, 20, 30.25]], "abc": [[1, 2, 3, 4]]})",
      R"({"391895": [[0.0, 0.0, 639.0, 479.0]], "9": [[10, 20, 10, 20], [0, 0, 1, 1], [2, 3, 4, 5]]})"};
  const RunStats stats = run_fuzz(t, seeds, budget_from_env());
  BUA_EXPECT_NO_FINDINGS(t.name, stats);
}

}  // namespace
}  // namespace bua::fuzz
