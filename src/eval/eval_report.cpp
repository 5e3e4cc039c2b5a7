#include "bua/eval/eval_report.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bua/eval/results_text.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"

namespace bua {
namespace {

nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

// Python's '{:,}'.format(n).
std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string shortest(double v) {
  if (!std::isfinite(v)) return python_fixed(v, 0);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) fail("ap list", "number does not fit the buffer");
  return std::string(buf, end);
}

const char* file_prefix(EvalTask task) { return task == EvalTask::kObjects ? "object" : "attribute"; }

}  // namespace

nlohmann::json task_eval_to_json(const TaskEval& eval) {
  nlohmann::json per_class = nlohmann::json::array();
  for (const ClassEval& c : eval.per_class) {
    per_class.push_back({{"index", c.index},
                         {"name", c.name},
                         {"ap", number_or_null(c.ap)},
                         {"npos", c.npos},
                         {"threshold", number_or_null(c.threshold)}});
  }
  return {{"per_class", std::move(per_class)},
          {"mean_ap", number_or_null(eval.mean_ap)},
          {"weighted_mean_ap", number_or_null(eval.weighted_mean_ap)},
          {"mean_threshold", number_or_null(eval.mean_threshold)}};
}

std::string thresholds_file_name(EvalTask task, const std::string& split) {
  return std::string(file_prefix(task)) + "_thresholds_" + split + ".txt";
}

std::string ap_list_file_name(EvalTask task, const std::string& split) {
  return std::string(file_prefix(task)) + "_ap_" + split + ".txt";
}

std::string thresholds_text(const TaskEval& eval) {
  std::string text;
  for (const ClassEval& c : eval.per_class) text += c.name + " " + python_fixed(c.threshold, 3) + "\n";
  return text;
}

std::string ap_list_text(const TaskEval& eval) {
  std::string text;
  for (const ClassEval& c : eval.per_class) {
    text += std::to_string(c.index) + "\t" + c.name + "\t" + shortest(c.ap) + "\t" + std::to_string(c.npos) + "\n";
  }
  return text;
}

void print_vg_summary(const TaskEval& eval, std::ostream& out) {
  for (const ClassEval& c : eval.per_class) {
    out << "AP for " << c.name << " = " << python_fixed(c.ap, 4) << " (npos=" << with_thousands(c.npos) << ")\n";
  }
  out << "Mean AP = " << python_fixed(eval.mean_ap, 4) << "\n";
  out << "Weighted Mean AP = " << python_fixed(eval.weighted_mean_ap, 4) << "\n";
  out << "Mean Detection Threshold = " << python_fixed(eval.mean_threshold, 3) << "\n";
  out << "~~~~~~~~\n";
  out << "Results:\n";
  for (const ClassEval& c : eval.per_class) {
    out << python_fixed(c.ap, 3) << "\t" << python_fixed(static_cast<double>(c.npos), 3) << "\n";
  }
  out << python_fixed(eval.mean_ap, 3) << "\n";
  out << "~~~~~~~~\n";
}

void write_vg_eval_files(const TaskEval& eval, const std::string& dir, const std::string& split) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(dir, "cannot create the output directory: " + ec.message());
  const std::filesystem::path base(dir);
  write_file_atomic((base / thresholds_file_name(eval.task, split)).string(), thresholds_text(eval));
  write_file_atomic((base / ap_list_file_name(eval.task, split)).string(), ap_list_text(eval));
}

}  // namespace bua
