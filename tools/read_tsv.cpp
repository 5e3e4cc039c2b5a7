// read_tsv: checks, shows, converts and merges feature files — TSV in the original or the LXMERT
// layout, or a folder of per-image .npz files.
//   read_tsv FILE                                    validate every row, print a summary
//   read_tsv FILE --show ID                          print one record
//   read_tsv FILE --convert-to FORMAT --out PATH     tsv, lxmert, npz, hdf5-fixed, hdf5-adaptive, captioning
//   read_tsv --merge OUT FILE... [--convert-to F]    join per-GPU files or shards, dropping repeated ids
//   read_tsv FILE --stats [--stats-out PREFIX]       statistics as text and PNG (PREFIX.txt, PREFIX.png)
#include <cstdio>
#include <iostream>

#include "bua/io/feature_cli.h"
#include "bua/io/feature_files.h"
#include "bua/io/feature_sink.h"
#include "bua/io/feature_stats_report.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Validate, show, convert or merge bottom-up-attention feature files (TSV or NPZ folder)", "read_tsv"};
  std::vector<std::string> files;
  std::string show, convert_to, out, merge, npz_layout = "boxes-first";
  bool quiet = false;
  bool stats = false;
  std::string stats_out, objects_vocab, attributes_vocab;
  app.add_option("files", files,
                 "feature output (TSV, folder of .npz, .hdf5, or the prefix of a captioning output); with --merge, "
                 "the outputs to join")
      ->check(bua::feature_input_validator());
  app.add_option("--show", show, "print the record of this image id");
  app.add_option("--convert-to", convert_to, "write the records as: " + bua::feature_format_names())
      ->check(bua::feature_format_validator());
  app.add_option("--out", out, "output of --convert-to");
  app.add_option("--merge", merge, "join the outputs into this one (in --convert-to's format, else their TSV layout)");
  app.add_option("--npz-layout", npz_layout, "x of an npz output: boxes-first [N,D] or features-first [D,N] (MCAN)")
      ->check(CLI::IsMember({"boxes-first", "features-first"}))
      ->capture_default_str();
  app.add_flag("--stats", stats, "boxes per image, feature norms, label frequencies, sanity checks: text and PNG");
  app.add_option("--stats-out", stats_out, "--stats writes PREFIX.txt and PREFIX.png (default: FILE.stats)");
  app.add_option("--objects-vocab", objects_vocab, "objects_vocab.txt, to name the object ids of --stats")
      ->check(CLI::ExistingFile);
  app.add_option("--attributes-vocab", attributes_vocab, "attributes_vocab.txt, to name the attribute ids of --stats")
      ->check(CLI::ExistingFile);
  app.add_flag("-q,--quiet", quiet, "no progress");

  return bua::tool_main(app, argc, argv, [&] {
    // --convert-to with --merge names the merged output's format.
    const int modes = !show.empty() + (!convert_to.empty() && merge.empty()) + !merge.empty() + stats;
    if (modes > 1) bua::fail("read_tsv", "give at most one of --show, --convert-to, --merge, --stats");
    if (!stats && !(stats_out + objects_vocab + attributes_vocab).empty())
      bua::fail("read_tsv", "--stats-out, --objects-vocab and --attributes-vocab are only used with --stats");
    if (!out.empty() && (convert_to.empty() || !merge.empty())) bua::fail("--out", "only used with --convert-to");
    bua::FeatureSinkOptions sink;
    sink.npz_layout = npz_layout == "features-first" ? bua::NpzLayout::kFeaturesFirst : bua::NpzLayout::kBoxesFirst;
    if (!merge.empty()) {
      if (files.empty()) bua::fail("--merge", "give the files to join");
      std::optional<bua::FeatureFormat> format;
      if (!convert_to.empty()) format = bua::parse_feature_format(convert_to, "--convert-to");
      auto r = bua::merge_features(merge, files, format, !quiet, sink);
      std::cout << "wrote " << merge << ": " << r.rows << " rows from " << files.size() << " files";
      if (r.duplicates) std::cout << ", " << r.duplicates << " repeated ids dropped";
      std::cout << "\n";
      return 0;
    }
    if (files.size() != 1) bua::fail("read_tsv", "give one feature file (or use --merge OUT FILE...)");
    const std::string& file = files[0];

    if (stats) {
      auto r = bua::write_feature_stats_report(file, {stats_out, objects_vocab, attributes_vocab, !quiet});
      std::cout << r.text << "wrote " << r.text_path << " and " << r.png_path << "\n";
      return 0;
    }
    if (!show.empty()) {
      std::string where;
      auto record = bua::find_feature_record(file, show, &where);
      if (!record) bua::fail(file, "no image with id '" + show + "'");
      std::cout << "found at " << where << "\n" << bua::describe_record(*record);
      return 0;
    }
    if (!convert_to.empty()) {
      if (out.empty()) bua::fail("--convert-to", "needs --out PATH");
      const auto format = bua::parse_feature_format(convert_to, "--convert-to");
      auto r = bua::convert_features(file, format, out, !quiet, sink);
      std::cout << "wrote " << out << ": " << r.rows
                << (format == bua::FeatureFormat::kNpzDir ? " .npz files" : format == bua::FeatureFormat::kCaptioning ? " images" : " rows");
      if (r.duplicates) std::cout << ", " << r.duplicates << " repeated ids dropped";
      std::cout << "\n";
      return 0;
    }

    bua::FeatureSummary s = bua::validate_features(file, !quiet);
    if (s.rows == 0) {
      std::printf("%s: no rows\n", file.c_str());
      return 0;
    }
    const std::string kind = s.format == "npz"          ? "folder of .npz files"
                             : s.format == "captioning" ? "captioning folders (_att, _fc, _box)"
                             : s.format.rfind("hdf5", 0) == 0 ? s.format + " HDF5 file"
                                                              : s.format + " layout";
    std::printf("%s: valid, %s\n", file.c_str(), kind.c_str());
    std::printf("rows: %lld\n", static_cast<long long>(s.rows));
    {
      std::printf("boxes per image: min %lld, mean %.2f, max %lld\n", static_cast<long long>(s.min_boxes), s.mean_boxes,
                  static_cast<long long>(s.max_boxes));
      std::printf("feature dim: %lld\n", static_cast<long long>(s.feature_dim));
      std::printf("objects/attributes: %s\n", s.has_objects ? "yes" : "no");
    }
    return 0;
  });
}
