#include "bua/io/feature_stats.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "bua/io/feature_files.h"
#include "bua/util/progress.h"

namespace bua {

void BoxCountHistogram::add(int64_t num_boxes) {
  if (num_boxes <= kExact) ++counts[static_cast<size_t>(num_boxes)];
  else ++more;
}

void StreamingHistogram::add(double value) {
  if (upper == 0) {
    if (value <= 0) {
      ++counts[0];
      return;
    }
    upper = std::exp2(std::floor(std::log2(value)) + 1);  // the power of two above value
  }
  while (value >= upper) {
    for (int i = 0; i < kBins / 2; ++i) counts[i] = counts[2 * i] + counts[2 * i + 1];
    std::fill(counts.begin() + kBins / 2, counts.end(), 0);
    upper *= 2;
  }
  const int bin = std::clamp(static_cast<int>(value / bin_width()), 0, kBins - 1);
  ++counts[bin];
}

void LabelCounts::add(int64_t id) {
  ++total;
  if (id < 0 || id >= kMaxId) {
    ++out_of_range;
    return;
  }
  if (static_cast<size_t>(id) >= counts.size()) counts.resize(static_cast<size_t>(id) + 1, 0);
  ++counts[static_cast<size_t>(id)];
}

int64_t LabelCounts::distinct() const {
  return std::count_if(counts.begin(), counts.end(), [](int64_t c) { return c > 0; });
}

void FeatureStats::add(const FeatureRecord& r) {
  const int64_t n = r.num_boxes;
  min_boxes = images == 0 ? n : std::min(min_boxes, n);
  max_boxes = std::max(max_boxes, n);
  ++images;
  boxes += n;
  boxes_per_image.add(n);
  if (n == 0) {
    ++images_without_boxes;
    return;
  }

  const int64_t dim = r.feature_dim();
  if (feature_dim == 0) feature_dim = dim;
  else if (dim != feature_dim) ++images_with_other_dim;
  for (int64_t b = 0; b < n; ++b) {
    const float* f = r.features.data() + b * dim;
    double sq = 0;
    int64_t nonfinite = 0;
    for (int64_t k = 0; k < dim; ++k) {
      if (!std::isfinite(f[k])) ++nonfinite;
      else sq += static_cast<double>(f[k]) * f[k];
    }
    if (nonfinite) {
      ++nonfinite_feature_boxes;
      nonfinite_feature_values += nonfinite;
    } else {
      const double norm = std::sqrt(sq);
      if (norm == 0) ++zero_feature_boxes;
      norm_min = norm_count == 0 ? norm : std::min(norm_min, norm);
      norm_max = std::max(norm_max, norm);
      norm_sum += norm;
      ++norm_count;
      norms.add(norm);
    }

    const float* x = r.boxes.data() + 4 * b;
    // NaN fails every comparison, so a non-finite coordinate counts as outside too.
    auto within = [](float v, int64_t size) { return v >= 0 && v <= static_cast<float>(size); };
    if (!(within(x[0], r.image_w) && within(x[2], r.image_w) && within(x[1], r.image_h) && within(x[3], r.image_h)))
      ++boxes_outside_image;
    if (x[2] < x[0] || x[3] < x[1]) ++inverted_boxes;
  }

  if (r.has_objects()) {
    ++images_with_objects;
    for (int64_t b = 0; b < n; ++b) {
      objects.add(r.objects_id[b]);
      if (r.attrs_conf[b] == 0) ++attributes_without_confidence;
      else attributes.add(r.attrs_id[b]);
    }
  }
}

FeatureStats compute_feature_stats(const std::string& path, bool progress) {
  FeatureSource source(path);
  std::unique_ptr<Progress> bar;
  if (progress) bar = std::make_unique<Progress>("stats", -1, "rows");
  FeatureStats s;
  s.path = path;
  FeatureRecord r;
  while (source.next(r)) {
    s.add(r);
    if (bar) bar->set(s.images, source.fraction_done());
  }
  if (bar) bar->finish();
  const std::string label = source.format_label();
  if (label != "empty") s.format = label;
  return s;
}

}  // namespace bua
