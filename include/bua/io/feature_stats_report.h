// read_tsv --stats end to end: statistics of a feature file, printed as text and written as
// <prefix>.txt and <prefix>.png.
#pragma once
#include <string>

#include "bua/io/feature_stats.h"

namespace bua {

struct StatsReportOptions {
  std::string prefix;            // outputs <prefix>.txt and <prefix>.png; empty: "<input>.stats"
  std::string objects_vocab;     // objects_vocab.txt of the model, to name object ids; optional
  std::string attributes_vocab;  // attributes_vocab.txt; optional
  bool progress = true;
};

struct StatsReport {
  FeatureStats stats;
  std::string text;  // what format_feature_stats gives
  std::string text_path, png_path;
};

// Loads the vocabularies and checks the output folder first (so a mistake fails before a long read),
// streams `input`, then writes both files atomically. Refuses outputs that would replace the input.
StatsReport write_feature_stats_report(const std::string& input, const StatsReportOptions& options);

}  // namespace bua
