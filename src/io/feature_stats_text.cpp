// FeatureStats as bars (shared by the text and the plot) and as the text report.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "bua/data/vocab.h"
#include "bua/io/feature_stats.h"

namespace bua {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

// Labels beyond the vocabulary (a vocabulary of n lines has ids 0..n-1), plus ids no vocabulary has.
int64_t labels_beyond(const LabelCounts& c, const Vocab* vocab) {
  int64_t n = c.out_of_range;
  if (!vocab) return n;
  const size_t lines = vocab->size() - 1;  // without the background entry
  for (size_t id = lines; id < c.counts.size(); ++id) n += c.counts[id];
  return n;
}

void print_bars(std::ostringstream& s, const std::vector<StatsBar>& bars) {
  int64_t most = 1;
  size_t label_width = 0;
  for (const auto& b : bars) most = std::max(most, b.count), label_width = std::max(label_width, b.label.size());
  for (const auto& b : bars) {
    const int len = static_cast<int>((b.count * 40 + most - 1) / most);  // a non-empty bar shows at least one #
    char line[64];
    std::snprintf(line, sizeof(line), "  %-*s %10lld  ", static_cast<int>(label_width), b.label.c_str(),
                  static_cast<long long>(b.count));
    s << line << std::string(static_cast<size_t>(len), '#') << "\n";
  }
}

void print_labels(std::ostringstream& s, const char* what, const LabelCounts& c, const Vocab* vocab) {
  s << what << ": " << c.total << " boxes labelled, " << c.distinct() << " distinct ids";
  if (vocab) s << " of " << vocab->size() - 1 << " in the vocabulary";
  s << "; most frequent:\n";
  for (const auto& b : top_labels(c, vocab)) {
    char line[64];
    std::snprintf(line, sizeof(line), "  %10lld %6.2f%%  ", static_cast<long long>(b.count),
                  c.total ? 100.0 * b.count / c.total : 0.0);
    s << line << b.label << "\n";
  }
}

}  // namespace

std::vector<StatsBar> box_count_bars(const FeatureStats& st, int max_bars) {
  std::vector<StatsBar> bars;
  if (st.images == 0) return bars;
  const int64_t kExact = BoxCountHistogram::kExact;
  const int64_t lo = std::min(st.min_boxes, kExact), hi = std::min(st.max_boxes, kExact);
  if (st.min_boxes <= kExact) {
    const int64_t width = (hi - lo + max_bars) / max_bars;  // ceil((hi - lo + 1) / max_bars)
    for (int64_t start = lo; start <= hi; start += width) {
      const int64_t end = std::min(start + width - 1, hi);
      StatsBar b;
      b.label = start == end ? std::to_string(start) : std::to_string(start) + "-" + std::to_string(end);
      for (int64_t k = start; k <= end; ++k) b.count += st.boxes_per_image.counts[static_cast<size_t>(k)];
      bars.push_back(b);
    }
  }
  if (st.boxes_per_image.more) bars.push_back({">" + std::to_string(kExact), st.boxes_per_image.more});
  return bars;
}

std::vector<StatsBar> norm_bars(const FeatureStats& st, int max_bars) {
  std::vector<StatsBar> bars;
  if (st.norm_count == 0) return bars;
  const auto& h = st.norms;
  const int last = StreamingHistogram::kBins - 1;
  // Before any positive norm the histogram has no width: every norm so far was 0, in bin 0.
  auto bin_of = [&](double v) { return h.upper > 0 ? std::clamp(static_cast<int>(v / h.bin_width()), 0, last) : 0; };
  const int lo = bin_of(st.norm_min), hi = bin_of(st.norm_max);
  // Bars of a power of two of bins, aligned to it: their edges stay round numbers (the bins' width is
  // a power of two too).
  int merge = 1;
  while (hi / merge - lo / merge + 1 > max_bars) merge *= 2;
  for (int start = lo / merge * merge; start <= hi; start += merge) {
    const int end = start + merge - 1;
    StatsBar b;
    b.label = fmt("%.4g", start * h.bin_width()) + "-" + fmt("%.4g", (end + 1) * h.bin_width());
    for (int k = start; k <= end; ++k) b.count += h.counts[k];
    bars.push_back(b);
  }
  return bars;
}

std::vector<StatsBar> top_labels(const LabelCounts& c, const Vocab* vocab, int top) {
  std::vector<std::pair<int64_t, int64_t>> order;  // (count, id)
  for (size_t id = 0; id < c.counts.size(); ++id)
    if (c.counts[id] > 0) order.emplace_back(c.counts[id], static_cast<int64_t>(id));
  auto first = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const size_t n = std::min(order.size(), static_cast<size_t>(top));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(), first);
  std::vector<StatsBar> bars;
  for (size_t i = 0; i < n; ++i) {
    const auto [count, id] = order[i];
    std::string label = std::to_string(id);
    if (vocab) {
      const size_t index = static_cast<size_t>(id) + 1;  // the Vocab's index 0 is the background
      label = (index < vocab->size() ? vocab->names()[index] : "?") + " (" + label + ")";
    }
    bars.push_back({label, count});
  }
  return bars;
}

std::vector<StatsCheck> stats_checks(const FeatureStats& st, const Vocab* objects_vocab,
                                     const Vocab* attributes_vocab) {
  std::vector<StatsCheck> checks = {
      {"boxes with NaN/inf features", st.nonfinite_feature_boxes,
       st.nonfinite_feature_boxes ? " (" + std::to_string(st.nonfinite_feature_values) + " values)" : ""},
      {"boxes with all-zero features", st.zero_feature_boxes, ""},
      {"boxes outside their image", st.boxes_outside_image, ""},
      {"inverted boxes (x2 < x1 or y2 < y1)", st.inverted_boxes, ""},
      {"images without boxes", st.images_without_boxes, ""},
      {"images whose feature dim is not " + std::to_string(st.feature_dim), st.images_with_other_dim, ""}};
  if (st.images_with_objects) {
    auto beyond = [](const Vocab* v) {
      return v ? " beyond the vocabulary (" + std::to_string(v->size() - 1) + " lines)" : std::string(" out of range");
    };
    checks.push_back({"object ids" + beyond(objects_vocab), labels_beyond(st.objects, objects_vocab), ""});
    checks.push_back({"attribute ids" + beyond(attributes_vocab), labels_beyond(st.attributes, attributes_vocab), ""});
  }
  return checks;
}

std::string format_feature_stats(const FeatureStats& st, const Vocab* objects_vocab, const Vocab* attributes_vocab) {
  std::ostringstream s;
  if (st.images == 0) {
    s << st.path << ": no rows\n";
    return s.str();
  }
  s << st.path << ": " << st.images << " images";
  if (!st.format.empty()) s << " (" << (st.format == "npz" ? "folder of .npz files" : st.format + " layout") << ")";
  s << ", " << st.boxes << " boxes, feature dim " << st.feature_dim << "\n";

  s << "boxes per image: min " << st.min_boxes << ", mean " << fmt("%.2f", st.mean_boxes()) << ", max "
    << st.max_boxes << "\n";
  print_bars(s, box_count_bars(st));

  s << "feature L2 norm per box: ";
  if (st.norm_count == 0) {
    s << "none (no box has finite features)\n";
  } else {
    s << "min " << fmt("%.4g", st.norm_min) << ", mean " << fmt("%.4g", st.norm_mean()) << ", max "
      << fmt("%.4g", st.norm_max) << "\n";
    print_bars(s, norm_bars(st));
  }

  if (st.images_with_objects == 0) {
    s << "objects/attributes: none in this file (the LXMERT layout and .npz files with objects_id have them)\n";
  } else {
    if (st.images_with_objects < st.images)
      s << "objects/attributes: in " << st.images_with_objects << " of " << st.images << " images\n";
    print_labels(s, "objects", st.objects, objects_vocab);
    print_labels(s, "attributes", st.attributes, attributes_vocab);
    if (st.attributes_without_confidence)
      s << "  (" << st.attributes_without_confidence
        << " boxes have attribute confidence 0, i.e. no attribute head; not counted)\n";
  }

  const std::vector<StatsCheck> checks = stats_checks(st, objects_vocab, attributes_vocab);
  const auto problems = std::count_if(checks.begin(), checks.end(), [](const StatsCheck& c) { return c.count > 0; });
  s << "checks: " << (problems ? std::to_string(problems) + " failed, marked !" : std::string("all passed")) << "\n";
  for (const auto& c : checks) s << (c.count ? "! " : "  ") << c.what << ": " << c.count << c.detail << "\n";
  return s.str();
}

}  // namespace bua
