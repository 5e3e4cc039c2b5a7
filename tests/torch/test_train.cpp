// Training on a tiny network and drawn images: the solver's update rule, frozen layers, that the loss goes
// down, exact resumption, the bbox_pred snapshot transform, and data parallelism through c10d/Gloo giving
// the same weights as one process fed the same images.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "bua/config/arch.h"
#include "bua/dist/gradient_averager.h"
#include "bua/model/checkpoint.h"
#include "bua/model/resnet.h"
#include "bua/train/autocast.h"
#include "bua/train/batch_norm_state.h"
#include "bua/train/trainer.h"
#include "bua/util/error.h"
#include "bua_test_paths.h"

namespace fs = std::filesystem;

namespace bua {
namespace {

Checkpoint tiny_model(uint64_t seed) {
  Checkpoint c;
  c.arch = load_arch(std::string(BUA_SOURCE_DIR) + "/configs/tiny_test.yml");
  torch::manual_seed(seed);
  Detector d(c.arch);
  c.state = state_of(*d);
  for (int i = 0; i < c.arch.num_classes; ++i) c.classes.push_back("c" + std::to_string(i));
  for (int i = 0; i < c.arch.num_attributes; ++i) c.attributes.push_back("a" + std::to_string(i));
  return c;
}

Config small_config() {
  Config cfg = load_config({std::string(BUA_SOURCE_DIR) + "/experiments/cfgs/faster_rcnn_end2end_resnet.yml"});
  cfg.TRAIN.SCALES = {128};
  cfg.TRAIN.MAX_SIZE = 200;
  cfg.TRAIN.RPN_PRE_NMS_TOP_N = 600;
  cfg.TRAIN.RPN_POST_NMS_TOP_N = 100;
  cfg.TRAIN.SNAPSHOT_ITERS = 0;
  return cfg;
}

// Image k of a fixed little set: one or two filled rectangles of classes 1..3 on grey.
TrainingBlob drawn_image(int64_t k, const Config& cfg, std::mt19937& rng) {
  cv::Mat im(120, 160, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<float> boxes;
  std::vector<int64_t> classes, attrs;
  const int n = 1 + static_cast<int>(k % 2);
  for (int i = 0; i < n; ++i) {
    const int x = 10 + static_cast<int>((k * 37 + i * 61) % 80), y = 10 + static_cast<int>((k * 23 + i * 41) % 50);
    const int w = 30 + static_cast<int>(k % 3) * 10, h = 30 + i * 10;
    const int cls = 1 + static_cast<int>((k + i) % 3);
    cv::rectangle(im, cv::Rect(x, y, w, h), cv::Scalar(cls == 1 ? 255 : 0, cls == 2 ? 255 : 0, cls == 3 ? 255 : 0), cv::FILLED);
    boxes.insert(boxes.end(), {float(x), float(y), float(x + w - 1), float(y + h - 1)});
    classes.push_back(cls);
    std::vector<int64_t> a(16, 0);
    a[0] = cls;  // attribute = its colour
    attrs.insert(attrs.end(), a.begin(), a.end());
  }
  return prepare_training_blob(im, k % 4 == 3, torch::tensor(boxes).view({-1, 4}), torch::tensor(classes),
                               torch::tensor(attrs).view({-1, 16}), cfg, rng);
}

TrainOptions options(const std::string& dir, int64_t iterations) {
  TrainOptions o;
  o.max_iterations = iterations;
  o.output_dir = dir;
  o.solver.base_lr = 0.01;
  o.solver.display = 1000;
  return o;
}

// A new folder of this test's own (mkdtemp): never one another run or user left under the same name.
fs::path temp_dir(const std::string& name) {
  std::string pattern = (fs::temp_directory_path() / (name + "_XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a folder like " + pattern);
  return pattern;
}

// A TCP port free on the loopback now, from the kernel (bind to port 0), rather than one picked from a fixed
// range that torchrun's default 29500, another user or a parallel ctest may hold.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free TCP port");
  return ntohs(addr.sin_port);
}

TEST(Solver, CaffeUpdateRuleAndFrozenLayers) {
  auto c = tiny_model(1);
  Detector d(c.arch);
  auto params = learnable_parameters(d);
  for (const auto& p : params) {
    EXPECT_EQ(p.name.rfind("trunk.res2", 0), std::string::npos) << p.name;
    EXPECT_EQ(p.name.rfind("trunk.conv1", 0), std::string::npos) << p.name;
    EXPECT_NE(p.name, "trunk.res4a.branch1.conv.weight");
  }
  EXPECT_FALSE(d->trunk->conv1->conv->weight.requires_grad());
  SolverConfig sc;
  sc.base_lr = 0.1;
  sc.stepsize = 2;
  CaffeSgd sgd({params[0]}, sc);
  auto w = params[0].tensor;
  const auto w0 = w.detach().clone();
  w.mutable_grad() = torch::ones_like(w);
  sgd.step(0);
  // v = lr * (g + decay * w); w -= v
  EXPECT_TRUE(torch::allclose(w.detach(), w0 - 0.1 * (1 + 0.0005 * w0), 1e-6, 1e-7));
  EXPECT_DOUBLE_EQ(sgd.learning_rate(2), 0.1 * 0.1);
}

TEST(Train, LossGoesDown) {
  const auto dir = temp_dir("bua_train_loss");
  const Config cfg = small_config();
  std::vector<double> losses;
  TrainingFeed feed = [&](int64_t it, int64_t, std::mt19937& rng) { return drawn_image(it % 6, cfg, rng); };
  // Measure the mean total loss over the same 6 images before and after training.
  auto mean_loss = [&](const Checkpoint& c) {
    Detector d(c.arch);
    load_state(*d, c.state, "test");
    normalize_bbox_pred(d, cfg.TRAIN);
    double s = 0;
    for (int k = 0; k < 6; ++k) {
      std::mt19937 rng(k);
      torch::NoGradGuard ng;
      s += detector_losses(d, drawn_image(k, cfg, rng), cfg.TRAIN, rng).total().item<double>();
    }
    return s / 6;
  };
  auto start = tiny_model(2);
  const double before = mean_loss(start);
  const auto snap = train_detector(start, cfg, feed, options(dir.string(), 60), nullptr, torch::kCPU);
  const double after = mean_loss(load_checkpoint(snap));
  EXPECT_LT(after, 0.6 * before) << "before " << before << " after " << after;
  fs::remove_all(dir);
}

TEST(Train, ResumeIsExact) {
  const auto dir = temp_dir("bua_train_resume");
  Config cfg = small_config();
  TrainingFeed feed = [&](int64_t it, int64_t, std::mt19937& rng) { return drawn_image(it % 5, cfg, rng); };
  const auto straight = load_checkpoint(train_detector(tiny_model(3), cfg, feed, options((dir / "a").string(), 6), nullptr, torch::kCPU));
  const auto half = load_checkpoint(train_detector(tiny_model(3), cfg, feed, options((dir / "b").string(), 3), nullptr, torch::kCPU));
  EXPECT_EQ(half.iteration, 3);
  const auto resumed = load_checkpoint(train_detector(half, cfg, feed, options((dir / "b").string(), 6), nullptr, torch::kCPU));
  EXPECT_EQ(resumed.iteration, 6);
  // Bit for bit: the snapshot keeps bbox_pred as training holds it, besides the unnormalised copy.
  for (const auto& [name, t] : straight.state) EXPECT_TRUE(torch::equal(t, resumed.state.at(name))) << name;
  fs::remove_all(dir);
}

TEST(Train, SnapshotUnnormalizesBboxPred) {
  Config cfg = small_config();
  cfg.TRAIN.BBOX_NORMALIZE_TARGETS_PRECOMPUTED = true;
  auto c = tiny_model(4);
  Detector d(c.arch);
  load_state(*d, c.state, "test");
  const auto w = d->box_head->bbox_pred->weight.detach().clone(), b = d->box_head->bbox_pred->bias.detach().clone();
  const auto s = unnormalized_state(d, cfg.TRAIN);
  // Rows cycle (dx, dy, dw, dh) with stds (0.1, 0.1, 0.2, 0.2).
  EXPECT_TRUE(torch::allclose(s.at("box_head.bbox_pred.weight")[2], w[2] * 0.2f));
  EXPECT_TRUE(torch::allclose(s.at("box_head.bbox_pred.weight")[5], w[5] * 0.1f));
  load_state(*d, s, "test");
  normalize_bbox_pred(d, cfg.TRAIN);
  EXPECT_TRUE(torch::allclose(d->box_head->bbox_pred->weight, w, 1e-5, 1e-7));
  EXPECT_TRUE(torch::allclose(d->box_head->bbox_pred->bias, b, 1e-5, 1e-7));
}

// Training from scratch with batch statistics: the snapshot is a plain frozen-affine network that computes
// what the BatchNorm network computes in eval mode, and resuming continues the statistics exactly.
TEST(Train, BatchNormSnapshotIsTheFoldedNetwork) {
  const auto dir = temp_dir("bua_train_bn");
  const Config cfg = small_config();
  TrainingFeed feed = [&](int64_t it, int64_t, std::mt19937& rng) { return drawn_image(it % 5, cfg, rng); };
  auto o = options(dir.string(), 4);
  o.batch_norm_momentum = 0.1;
  o.freeze_bottom = false;
  const auto snap = load_checkpoint(train_detector(tiny_model(6), cfg, feed, o, nullptr, torch::kCPU));
  for (const auto& [name, t] : snap.state) EXPECT_EQ(name.find("batch_norm"), std::string::npos) << name;

  Detector plain(snap.arch), with_bn(snap.arch);
  load_state(*plain, snap.state, "snapshot");
  load_state(*with_bn, snap.state, "snapshot");
  ASSERT_TRUE(restore_batch_norm(with_bn, snap.extra, 0.1));
  ASSERT_TRUE(with_bn->trunk->conv1->batch_norm);
  // Four images moved the running statistics away from their start (mean 0, variance 1).
  EXPECT_GT(with_bn->trunk->conv1->batch_norm->running_mean.abs().max().item<double>(), 1e-3);
  plain->eval();
  with_bn->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({1, 3, 64, 96});
  const auto a = plain->features(x), b = with_bn->features(x);
  EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << (a - b).abs().max().item<double>();
  const auto pooled = torch::randn({5, b.size(1), plain->arch().roi_pool_size, plain->arch().roi_pool_size});
  EXPECT_TRUE(torch::allclose(plain->heads(pooled).pool5, with_bn->heads(pooled).pool5, 1e-4, 1e-5));
  fs::remove_all(dir);
}

TEST(Train, ResumeIsExactWithBatchNorm) {
  const auto dir = temp_dir("bua_train_bn_resume");
  Config cfg = small_config();
  TrainingFeed feed = [&](int64_t it, int64_t, std::mt19937& rng) { return drawn_image(it % 5, cfg, rng); };
  auto opts = [&](const std::string& sub, int64_t n) {
    auto o = options((dir / sub).string(), n);
    o.batch_norm_momentum = 0.1;
    o.freeze_bottom = false;
    return o;
  };
  const auto straight = load_checkpoint(train_detector(tiny_model(7), cfg, feed, opts("a", 6), nullptr, torch::kCPU));
  const auto half = load_checkpoint(train_detector(tiny_model(7), cfg, feed, opts("b", 3), nullptr, torch::kCPU));
  // Resumed with default options (frozen bottom, no --batch-norm): the snapshot's own choices win.
  const auto resumed =
      load_checkpoint(train_detector(half, cfg, feed, options((dir / "b").string(), 6), nullptr, torch::kCPU));
  for (const auto& [name, t] : straight.state)
    EXPECT_TRUE(torch::equal(t, resumed.state.at(name)))
        << name << ": max |diff| " << (t - resumed.state.at(name)).abs().max().item<double>() << " of max |value| "
        << t.abs().max().item<double>();
  for (const auto& [name, t] : straight.extra)
    EXPECT_TRUE(torch::equal(t, resumed.extra.at(name))) << name;
  // Batch statistics in frozen layers would not be frozen: refused.
  auto frozen = opts("c", 2);
  frozen.freeze_bottom = true;
  EXPECT_THROW(train_detector(tiny_model(7), cfg, feed, frozen, nullptr, torch::kCPU), Error);
  fs::remove_all(dir);
}

// Mixed precision: under the scope the network computes in bf16 and its losses stay float32 and close to
// the float32 ones; outside it nothing changes; training runs (with the frozen affine and with batch
// statistics) and moves the weights.
TEST(Train, MixedPrecisionForward) {
  const Config cfg = small_config();
  auto c = tiny_model(8);
  Detector d(c.arch);
  load_state(*d, c.state, "test");
  auto losses = [&](torch::ScalarType dtype) {
    std::mt19937 rng(1);
    const auto blob = drawn_image(1, cfg, rng);
    AutocastScope amp(torch::kCPU, dtype);
    EXPECT_EQ(d->features(blob.image.blob).scalar_type(), dtype);
    return detector_losses(d, blob, cfg.TRAIN, rng);
  };
  const LossTerms f = losses(torch::kFloat), b = losses(torch::kBFloat16);
  EXPECT_EQ(d->features(torch::zeros({1, 3, 32, 32})).scalar_type(), torch::kFloat);  // the scope has ended
  for (const auto& [x, y] : {std::pair{f.rpn_cls, b.rpn_cls}, {f.cls, b.cls}, {f.attr, b.attr}}) {
    EXPECT_EQ(y.scalar_type(), torch::kFloat);
    EXPECT_NEAR(y.item<double>(), x.item<double>(), 0.03 * std::abs(x.item<double>()) + 1e-3);
  }
  EXPECT_THROW(AutocastScope(torch::kCPU, torch::kHalf), Error);

  const auto dir = temp_dir("bua_train_amp");
  TrainingFeed feed = [&](int64_t it, int64_t, std::mt19937& rng) { return drawn_image(it % 5, cfg, rng); };
  for (const bool batch_norm : {false, true}) {
    auto o = options((dir / (batch_norm ? "bn" : "affine")).string(), 3);
    o.compute_dtype = torch::kBFloat16;
    if (batch_norm) o.batch_norm_momentum = 0.1, o.freeze_bottom = false;
    const auto snap = load_checkpoint(train_detector(tiny_model(8), cfg, feed, o, nullptr, torch::kCPU));
    for (const auto& [name, t] : snap.state)
      if (t.is_floating_point()) EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
    for (const char* name : {"box_head.cls_score.weight", "trunk.res4a.branch2a.conv.weight"})
      EXPECT_FALSE(torch::equal(snap.state.at(name), c.state.at(name))) << name;
  }
  fs::remove_all(dir);
}

bool has_gloo() {
  const auto backends = available_backends();
  return std::find(backends.begin(), backends.end(), "gloo") != backends.end();
}

// Runs `body` as ranks 0 and 1 of a Gloo group, one thread each; fails the test on any rank's error.
void run_two_gloo_ranks(const std::function<void(int, GradientAverager&)>& body) {
  std::vector<std::string> errors(2);
  const int port = free_port();
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      try {
        DistEnv env;
        env.rank = r;
        env.world_size = 2;
        env.master_port = port;
        GradientAverager avg(env, "gloo");
        body(r, avg);
        avg.barrier();
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : ranks) t.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
}

// Two Gloo ranks, one image each, against one process with both images per step.
TEST(Train, TwoGlooRanksEqualOneProcessWithTwoImages) {
  if (!has_gloo()) GTEST_SKIP() << "built without Gloo";
  const auto dir = temp_dir("bua_train_dist");
  const Config cfg = small_config();
  TrainingFeed feed = [&](int64_t it, int64_t slot, std::mt19937& rng) { return drawn_image(2 * it + slot, cfg, rng); };
  Config two_images = cfg;
  two_images.TRAIN.IMS_PER_BATCH = 2;
  const auto single = load_checkpoint(
      train_detector(tiny_model(5), two_images, feed, options((dir / "one").string(), 3), nullptr, torch::kCPU));

  // One starting model for both ranks, made before the threads start: tiny_model seeds Torch's global
  // generator, which two threads must not share while drawing weights.
  const Checkpoint start = tiny_model(5);
  std::vector<std::string> results(2);
  run_two_gloo_ranks([&](int r, GradientAverager& avg) {
    auto o = options((dir / ("rank" + std::to_string(r))).string(), 3);
    o.rank = r;
    o.world_size = 2;
    results[r] = train_detector(start, cfg, feed, o, &avg, torch::kCPU);
  });
  const auto dist = load_checkpoint(results[0]);
  for (const auto& [name, t] : single.state)
    EXPECT_TRUE(torch::allclose(t, dist.state.at(name), 1e-4, 1e-6)) << name;
  fs::remove_all(dir);
}

// With batch statistics on several ranks, each snapshot holds the mean of the ranks' running averages, and
// every rank continues from that mean.
TEST(Train, GlooRanksAverageTheirBatchNormStatistics) {
  if (!has_gloo()) GTEST_SKIP() << "built without Gloo";
  std::vector<torch::Tensor> seen(2);
  run_two_gloo_ranks([&](int r, GradientAverager& avg) {
    auto t = torch::full({3}, static_cast<float>(r + 1));
    avg.average_values({t});
    seen[r] = t;
  });
  ASSERT_TRUE(seen[0].defined() && seen[1].defined());
  EXPECT_TRUE(torch::allclose(seen[0], torch::full({3}, 1.5f)));
  EXPECT_TRUE(torch::allclose(seen[1], torch::full({3}, 1.5f)));

  const auto dir = temp_dir("bua_train_dist_bn");
  const Config cfg = small_config();
  TrainingFeed feed = [&](int64_t it, int64_t slot, std::mt19937& rng) { return drawn_image(2 * it + slot, cfg, rng); };
  const Checkpoint start = tiny_model(9);
  std::vector<std::string> results(2);
  run_two_gloo_ranks([&](int r, GradientAverager& avg) {
    auto o = options((dir / ("rank" + std::to_string(r))).string(), 3);
    o.rank = r;
    o.world_size = 2;
    o.batch_norm_momentum = 0.1;
    o.freeze_bottom = false;
    results[r] = train_detector(start, cfg, feed, o, &avg, torch::kCPU);
  });
  const auto snap = load_checkpoint(results[0]);
  EXPECT_TRUE(snap.extra.count("batch_norm/trunk.conv1.batch_norm.running_mean"));
  for (const auto& [name, t] : snap.state)
    if (t.is_floating_point()) EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bua
