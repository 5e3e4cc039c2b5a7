// Reads a file holding one JSON array one element at a time, so a multi-gigabyte Visual Genome file
// never has to be parsed into one document: memory stays at the size of the largest element.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace bua {

struct JsonStreamPosition {
  int64_t index = 0;       // of the element in the array
  int64_t bytes_read = 0;  // of the file, so far
  int64_t file_size = 0;
};

// Calls `on_element` for each element of the top-level array in `path`, in order. Throws bua::Error
// naming the file (and the element's index and byte offset) when the file is missing, is not an
// array, or an element is malformed; errors thrown by `on_element` pass through unchanged.
void for_each_json_element(
    const std::string& path,
    const std::function<void(const nlohmann::json& element, const JsonStreamPosition&)>& on_element);

}  // namespace bua
