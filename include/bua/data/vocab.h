// Class, attribute and relation vocabularies in the released format (data/genome/1600-400-20/*.txt):
// one entry per line, synonyms separated by commas, the first one the entry's name. Index 0 is the
// background entry the original prepends ("__background__", "__no_attribute__", "__no_relation__");
// every synonym maps to its line's index. Names are matched lower-cased and stripped, as vg.py does.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bua {

inline constexpr const char* kBackgroundClass = "__background__";
inline constexpr const char* kNoAttribute = "__no_attribute__";
inline constexpr const char* kNoRelation = "__no_relation__";

class Vocab {
 public:
  Vocab() = default;
  // Entries (each a list of synonyms, first = name) after `background` at index 0.
  Vocab(std::string background, const std::vector<std::vector<std::string>>& entries);

  // Reads a vocab file. A blank line is an error (it would shift every later index).
  static Vocab load(const std::string& path, const std::string& background);

  const std::vector<std::string>& names() const { return names_; }
  const std::string& name(int index) const { return names_.at(static_cast<size_t>(index)); }
  size_t size() const { return names_.size(); }
  // Index of a name or synonym, after lower() and strip(); -1 when it is not in the vocabulary.
  int index(std::string_view name) const;
  // The same for a name already lower-cased and stripped (no copy).
  int index_of_clean(const std::string& clean_name) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> index_;
};

}  // namespace bua
