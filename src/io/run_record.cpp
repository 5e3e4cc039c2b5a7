#include "bua/io/run_record.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "bua/io/output_guard.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {

namespace {
constexpr size_t kMaxRecordBytes = 1 << 20;  // a record is a few hundred bytes
}

std::string run_record_path(const std::string& output) { return hidden_sibling(output, "bua-run.json"); }

std::optional<RunRecord> read_run_record(const std::string& output) {
  const std::string path = run_record_path(output);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) > kMaxRecordBytes)
    fail(path, "is not a run record of this tool (remove it if the output beside it is not wanted)");
  try {
    const auto j = nlohmann::json::parse(read_file(path));
    RunRecord r;
    r.complete = j.at("complete").get<bool>();
    for (const auto& [flag, value] : j.at("options").items()) r.options.emplace_back(flag, value.get<std::string>());
    return r;
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("unreadable run record: ") + e.what());
  }
}

void write_run_record(const std::string& output, const RunRecord& record) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [flag, value] : record.options) options[flag] = value;
  const nlohmann::json j = {{"complete", record.complete}, {"options", options}};
  write_file_atomic(run_record_path(output), j.dump(2) + "\n");
}

std::string option_value(const NamedValues& options, const std::string& flag) {
  for (const auto& [f, v] : options)
    if (f == flag) return v;
  return "";
}

void check_same_options(const std::string& output, const NamedValues& recorded, const NamedValues& now) {
  auto shown = [](const std::string& v) { return v.empty() ? std::string("(none)") : v; };
  auto differ = [&](const std::string& flag) {
    const std::string was = option_value(recorded, flag), is = option_value(now, flag);
    if (was != is)
      fail(output, "was written with " + flag + " " + shown(was) + ", this run has " + flag + " " + shown(is) +
                       "; resuming would mix two kinds of rows (run with the same options, or write to another output)");
  };
  for (const auto& [flag, value] : now) differ(flag);
  for (const auto& [flag, value] : recorded) differ(flag);
}

}  // namespace bua
