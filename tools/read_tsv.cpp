// read_tsv: checks, shows, converts and merges feature files — TSV in the original or the LXMERT
// layout, or a folder of per-image .npz files.
//   read_tsv FILE                                    validate every row, print a summary
//   read_tsv FILE --show ID                          print one record
//   read_tsv FILE --convert-to tsv|lxmert|npz --out PATH
//   read_tsv --merge OUT FILE...                     join per-GPU files, dropping repeated ids
#include <cstdio>
#include <iostream>

#include "bua/io/feature_files.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua/util/tool_main.h"

int main(int argc, char** argv) {
  CLI::App app{"Validate, show, convert or merge bottom-up-attention feature files (TSV or NPZ folder)", "read_tsv"};
  std::vector<std::string> files;
  std::string show, convert_to, out, merge;
  bool quiet = false;
  app.add_option("files", files, "feature file (TSV, or a folder of .npz); with --merge, the files to join")
      ->check(CLI::ExistingPath);
  app.add_option("--show", show, "print the record of this image id");
  app.add_option("--convert-to", convert_to, "write the records as: tsv (original layout), lxmert, npz (a folder)")
      ->check(CLI::IsMember({"tsv", "original", "lxmert", "npz"}));
  app.add_option("--out", out, "output of --convert-to");
  app.add_option("--merge", merge, "join the TSV files into this one");
  app.add_flag("-q,--quiet", quiet, "no progress");

  return bua::tool_main(app, argc, argv, [&] {
    const int modes = !show.empty() + !convert_to.empty() + !merge.empty();
    if (modes > 1) bua::fail("read_tsv", "give at most one of --show, --convert-to, --merge");
    if (!out.empty() && convert_to.empty()) bua::fail("--out", "only used with --convert-to");
    if (!merge.empty()) {
      if (files.empty()) bua::fail("--merge", "give the files to join");
      auto r = bua::merge_feature_tsvs(merge, files, !quiet);
      std::cout << "wrote " << merge << ": " << r.rows << " rows from " << files.size() << " files";
      if (r.duplicates) std::cout << ", " << r.duplicates << " repeated ids dropped";
      std::cout << "\n";
      return 0;
    }
    if (files.size() != 1) bua::fail("read_tsv", "give one feature file (or use --merge OUT FILE...)");
    const std::string& file = files[0];

    if (!show.empty()) {
      std::string where;
      auto record = bua::find_feature_record(file, show, &where);
      if (!record) bua::fail(file, "no image with id '" + show + "'");
      std::cout << "found at " << where << "\n" << bua::describe_record(*record);
      return 0;
    }
    if (!convert_to.empty()) {
      if (out.empty()) bua::fail("--convert-to", "needs --out PATH");
      auto r = bua::convert_features(file, bua::parse_feature_format(convert_to), out, !quiet);
      std::cout << "wrote " << out << ": " << r.rows << (convert_to == "npz" ? " .npz files" : " rows");
      if (r.duplicates) std::cout << ", " << r.duplicates << " repeated ids dropped";
      std::cout << "\n";
      return 0;
    }

    bua::FeatureSummary s = bua::validate_features(file, !quiet);
    if (s.rows == 0) {
      std::printf("%s: no rows\n", file.c_str());
      return 0;
    }
    std::printf("%s: valid, %s\n", file.c_str(),
                s.format == "npz" ? "folder of .npz files" : (s.format + " layout").c_str());
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
