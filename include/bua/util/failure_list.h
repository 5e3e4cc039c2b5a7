// The list of inputs a long run skipped, one "id<TAB>path<TAB>reason" line each under a header line, so a
// user can see what is missing and re-run just those (generate_tsv, test_net).
#pragma once
#include <string>
#include <vector>

namespace bua {

// The id and path are escaped (\\ \t \n \r, as in C) so that neither can break the line or its fields;
// tabs and newlines in the reason become spaces.
std::string failure_line(const std::string& id, const std::string& path, const std::string& reason);
// Writes the list (atomically); nothing is written for an empty list.
void write_failure_list(const std::string& path, const std::vector<std::string>& lines);
// The ids of a list written by write_failure_list, unescaped (empty when the file does not exist).
std::vector<std::string> read_failure_ids(const std::string& path);

}  // namespace bua
