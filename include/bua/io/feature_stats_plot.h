// The picture of a FeatureStats (read_tsv --stats): a title strip with the summary and the failed checks,
// then four panels — boxes per image, feature norms, the 20 most frequent objects and attributes.
// Drawn with OpenCV imgproc; it lives beside the statistics in the Torch-free half of the library
// because read_tsv links only that half (src/viz/ is in the Torch half).
#pragma once
#include <opencv2/core/mat.hpp>

#include "bua/io/feature_stats.h"

namespace bua {

inline constexpr int kStatsPlotWidth = 1400;
inline constexpr int kStatsPlotHeight = 1000;

// A BGR image of kStatsPlotWidth x kStatsPlotHeight. Labels are named when a vocabulary is given.
cv::Mat plot_feature_stats(const FeatureStats& stats, const Vocab* objects_vocab, const Vocab* attributes_vocab);

}  // namespace bua
