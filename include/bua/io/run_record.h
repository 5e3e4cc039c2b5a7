// The settings an output was made with, kept beside it in a hidden `.<name>.bua-run.json` while it is
// written and after: a resumed run whose settings differ (another --format, box limits, checkpoint ...)
// would append rows of another kind to the same output, so it is refused, naming the differing option.
// The record also says whether the run finished, so an interrupted folder output is not taken as complete.
#pragma once
#include <optional>
#include <string>

#include "bua/io/feature_sink.h"

namespace bua {

struct RunRecord {
  NamedValues options;  // flag → value, e.g. {"--format", "npz"}
  bool complete = false;
};

std::string run_record_path(const std::string& output);
// nullopt when there is none; throws bua::Error naming the record when it is unreadable.
std::optional<RunRecord> read_run_record(const std::string& output);
void write_run_record(const std::string& output, const RunRecord& record);
// Throws bua::Error naming `output` and the first option whose value differs between the two.
void check_same_options(const std::string& output, const NamedValues& recorded, const NamedValues& now);
// The value of `flag` in `options`; "" when absent.
std::string option_value(const NamedValues& options, const std::string& flag);

}  // namespace bua
