#include "bua/data/vocab.h"

#include <fstream>

#include "bua/data/vg_text.h"
#include "bua/util/error.h"

namespace bua {

Vocab::Vocab(std::string background, const std::vector<std::vector<std::string>>& entries) {
  names_.push_back(background);
  index_[background] = 0;
  for (const auto& synonyms : entries) {
    const int index = static_cast<int>(names_.size());
    names_.push_back(synonyms.empty() ? std::string() : python_strip(python_lower(synonyms.front())));
    // A synonym listed again on a later line points there, as the original's dict assignment does.
    for (const std::string& s : synonyms) index_[python_strip(python_lower(s))] = index;
  }
}

Vocab Vocab::load(const std::string& path, const std::string& background) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open vocabulary file");
  std::vector<std::vector<std::string>> entries;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (python_strip(line).empty()) fail(path + ":" + std::to_string(n), "blank line in vocabulary");
    entries.push_back(split_on(line, ","));
  }
  if (in.bad()) fail(path, "read error");
  if (entries.empty()) fail(path, "empty vocabulary");
  return Vocab(background, entries);
}

int Vocab::index(std::string_view name) const { return index_of_clean(python_strip(python_lower(name))); }

int Vocab::index_of_clean(const std::string& clean_name) const {
  auto it = index_.find(clean_name);
  return it == index_.end() ? -1 : it->second;
}

}  // namespace bua
