// Statistics of a whole feature file (read_tsv --stats), to see at a glance whether an extraction is
// sane: boxes per image, L2 norms of the box features, object/attribute label frequencies, and counts of
// what should never be there (NaN/inf or all-zero features, boxes outside their image, ...).
// Records are streamed and the statistics are fixed-size histograms and counters, so memory stays
// bounded whatever the size of the file.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bua/io/feature_record.h"

namespace bua {

class Vocab;

// Counts of box numbers 0..kExact exactly, larger ones in `more` (the original keeps at most 100).
struct BoxCountHistogram {
  static constexpr int64_t kExact = 100;
  std::array<int64_t, kExact + 1> counts{};
  int64_t more = 0;
  void add(int64_t num_boxes);
};

// Histogram of non-negative values over [0, upper) in kBins equal bins, for values whose range is not
// known in advance: `upper` starts at the power of two above the first positive value and doubles
// (merging bins in pairs) whenever a value reaches it, so the bins are exact and stay few.
struct StreamingHistogram {
  static constexpr int kBins = 512;
  std::array<int64_t, kBins> counts{};
  double upper = 0;  // 0 until a positive value came
  void add(double value);
  double bin_width() const { return upper / kBins; }
};

// How often each label id occurs. Ids at or above kMaxId (no vocabulary is that large) are counted in
// `out_of_range` only, which keeps the table bounded; so are negative ones.
struct LabelCounts {
  static constexpr int64_t kMaxId = 1 << 16;
  std::vector<int64_t> counts;  // by id; grows to the largest id seen
  int64_t out_of_range = 0;
  int64_t total = 0;
  void add(int64_t id);
  int64_t distinct() const;
};

struct FeatureStats {
  std::string path;
  std::string format;  // "original" or "lxmert" (TSV layouts), "npz"; empty for other sources
  int64_t images = 0;
  int64_t boxes = 0;
  int64_t min_boxes = 0, max_boxes = 0;
  BoxCountHistogram boxes_per_image;
  int64_t feature_dim = 0;  // of the first image with boxes

  // L2 norm of each box's feature vector (boxes with NaN/inf features left out).
  int64_t norm_count = 0;
  double norm_min = 0, norm_max = 0, norm_sum = 0;
  StreamingHistogram norms;

  int64_t images_with_objects = 0;  // records carrying objects_id/attrs_id
  LabelCounts objects;
  LabelCounts attributes;
  // Boxes whose attribute confidence is exactly 0: a model without an attribute head writes id 0 with
  // confidence 0 for every box, which is no label; these are left out of `attributes`.
  int64_t attributes_without_confidence = 0;

  // Insanity.
  int64_t nonfinite_feature_boxes = 0, nonfinite_feature_values = 0;
  int64_t zero_feature_boxes = 0;
  int64_t boxes_outside_image = 0;  // a coordinate outside [0, w] x [0, h], or not finite
  int64_t inverted_boxes = 0;       // x2 < x1 or y2 < y1
  int64_t images_without_boxes = 0;
  int64_t images_with_other_dim = 0;  // feature dim differs from feature_dim

  double mean_boxes() const { return images ? static_cast<double>(boxes) / images : 0.0; }
  double norm_mean() const { return norm_count ? norm_sum / norm_count : 0.0; }
  void add(const FeatureRecord& record);
};

// Streams every record of `path` (whatever FeatureSource reads) into a FeatureStats. A record that does
// not decode throws bua::Error naming its location.
FeatureStats compute_feature_stats(const std::string& path, bool progress = true);

// One bar of a histogram or frequency chart, as the text and the plot show it.
struct StatsBar {
  std::string label;
  int64_t count = 0;
};

// Boxes per image from min to max in at most `max_bars` bars of equal width ("36" or "10-19").
std::vector<StatsBar> box_count_bars(const FeatureStats& stats, int max_bars = 20);
// Feature norms from the bin of norm_min to that of norm_max, merged into at most `max_bars` bars of
// round width, labelled "lower-upper".
std::vector<StatsBar> norm_bars(const FeatureStats& stats, int max_bars = 16);
// The `top` most frequent labels, most frequent first (ties: lower id first), as "name (id)" or "id"
// without a vocabulary. Id k is line k of the vocabulary file (0-based, no background entry), which is
// index k + 1 of a bua::Vocab.
std::vector<StatsBar> top_labels(const LabelCounts& counts, const Vocab* vocab, int top = 20);

// The sanity checks: NaN/inf and all-zero features, boxes outside their image or inverted, images without
// boxes or with another feature dim, and (for files with labels) ids beyond the vocabularies. A check
// with a non-zero count found a problem.
struct StatsCheck {
  std::string what;    // "boxes with NaN/inf features"
  int64_t count = 0;
  std::string detail;  // e.g. " (17 values)"; may be empty
};
std::vector<StatsCheck> stats_checks(const FeatureStats& stats, const Vocab* objects_vocab,
                                     const Vocab* attributes_vocab);

// The report as text: summary, histograms, top-20 labels (named when a vocabulary is given), checks.
std::string format_feature_stats(const FeatureStats& stats, const Vocab* objects_vocab,
                                 const Vocab* attributes_vocab);

}  // namespace bua
