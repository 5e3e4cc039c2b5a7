#include "bua/io/feature_stats_report.h"

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <optional>

#include "bua/data/vocab.h"
#include "bua/io/feature_stats_plot.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {
namespace {

namespace fs = std::filesystem;

// "<input>.stats", a folder of .npz files given as "feats/" included ("feats.stats", beside it).
std::string default_prefix(std::string input) {
  while (input.size() > 1 && input.back() == '/') input.pop_back();
  return input + ".stats";
}

void check_output(const std::string& path, const std::string& input) {
  const fs::path folder = fs::path(path).parent_path();
  std::error_code ec;
  if (!folder.empty() && !fs::is_directory(folder, ec))
    fail(path, "cannot be written: the folder " + folder.string() + " does not exist");
  std::error_code ec_in;
  const fs::path out = fs::weakly_canonical(path, ec), in = fs::weakly_canonical(input, ec_in);
  if (!ec && !ec_in && out == in) fail(path, "is the input; choose another --stats-out");
  if (fs::is_directory(path, ec)) fail(path, "is a folder; choose another --stats-out");
}

std::optional<Vocab> maybe_load(const std::string& path, const char* background) {
  if (path.empty()) return std::nullopt;
  return Vocab::load(path, background);
}

}  // namespace

StatsReport write_feature_stats_report(const std::string& input, const StatsReportOptions& options) {
  StatsReport report;
  const std::string prefix = options.prefix.empty() ? default_prefix(input) : options.prefix;
  report.text_path = prefix + ".txt";
  report.png_path = prefix + ".png";
  check_output(report.text_path, input);
  check_output(report.png_path, input);
  const std::optional<Vocab> objects = maybe_load(options.objects_vocab, kBackgroundClass);
  const std::optional<Vocab> attributes = maybe_load(options.attributes_vocab, kNoAttribute);
  const Vocab* ov = objects ? &*objects : nullptr;
  const Vocab* av = attributes ? &*attributes : nullptr;

  report.stats = compute_feature_stats(input, options.progress);
  report.text = format_feature_stats(report.stats, ov, av);
  std::vector<uint8_t> png;
  if (!cv::imencode(".png", plot_feature_stats(report.stats, ov, av), png))
    fail(report.png_path, "PNG encoding failed");
  write_file_atomic(report.text_path, report.text);
  write_file_atomic(report.png_path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
  return report;
}

}  // namespace bua
