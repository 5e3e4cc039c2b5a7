#include "bua/util/failure_list.h"

#include <filesystem>
#include <sstream>

#include "bua/util/atomic_file.h"

namespace bua {

namespace {

// Ids and paths are user data (a file stem, a list entry) and may hold the tab and newline that separate the
// fields and lines: they are written escaped, C-style, and read back by unescape_field.
std::string escape_field(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

std::string unescape_field(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    out += next == 't' ? '\t' : next == 'n' ? '\n' : next == 'r' ? '\r' : next;
  }
  return out;
}

}  // namespace

std::string failure_line(const std::string& id, const std::string& path, const std::string& reason) {
  std::string r = reason;
  for (char& c : r)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  return escape_field(id) + "\t" + escape_field(path) + "\t" + r;
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
    if (!line.empty() && line[0] != '#') ids.push_back(unescape_field(line.substr(0, line.find('\t'))));
  return ids;
}

}  // namespace bua
