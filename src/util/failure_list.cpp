#include "bua/util/failure_list.h"

#include <filesystem>
#include <sstream>

#include "bua/util/atomic_file.h"

namespace bua {

std::string failure_line(const std::string& id, const std::string& path, const std::string& reason) {
  std::string r = reason;
  for (char& c : r)
    if (c == '\n' || c == '\t') c = ' ';
  return id + "\t" + path + "\t" + r;
}

void write_failure_list(const std::string& path, const std::vector<std::string>& lines) {
  if (lines.empty()) return;
  std::string text = "# image_id\tpath\treason\n";
  for (const auto& l : lines) text += l + "\n";
  write_file_atomic(path, text);
}

std::vector<std::string> read_failure_ids(const std::string& path) {
  std::vector<std::string> ids;
  if (!std::filesystem::exists(path)) return ids;
  std::istringstream text(read_file(path));
  for (std::string line; std::getline(text, line);)
    if (!line.empty() && line[0] != '#') ids.push_back(line.substr(0, line.find('\t')));
  return ids;
}

}  // namespace bua
