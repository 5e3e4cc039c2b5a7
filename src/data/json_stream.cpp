#include "bua/data/json_stream.h"

#include <fstream>
#include <vector>

#include "bua/util/error.h"

namespace bua {
namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Buffered byte reader that knows its offset in the file.
class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) fail(path, "cannot open");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<int64_t>(in_.tellg());
    in_.seekg(0, std::ios::beg);
    buffer_.resize(1 << 22);
  }
  // Next byte, or -1 at the end of the file.
  int get() {
    if (pos_ == end_ && !refill()) return -1;
    ++offset_;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int64_t offset() const { return offset_; }
  int64_t size() const { return size_; }

 private:
  bool refill() {
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    end_ = static_cast<size_t>(in_.gcount());
    pos_ = 0;
    if (end_ == 0 && in_.bad()) fail(path_, "read error");
    return end_ > 0;
  }
  std::string path_;
  std::ifstream in_;
  std::vector<char> buffer_;
  size_t pos_ = 0, end_ = 0;
  int64_t offset_ = 0, size_ = 0;
};

int next_non_space(ByteReader& in) {
  int c = in.get();
  while (c >= 0 && is_json_space(static_cast<char>(c))) c = in.get();
  return c;
}

}  // namespace

void for_each_json_element(
    const std::string& path,
    const std::function<void(const nlohmann::json& element, const JsonStreamPosition&)>& on_element) {
  ByteReader in(path);
  auto where = [&](int64_t offset) { return path + " (byte " + std::to_string(offset) + ")"; };
  int c = next_non_space(in);
  if (c != '[') fail(where(in.offset()), "expected a JSON array ('[')");

  JsonStreamPosition position;
  position.file_size = in.size();
  std::string text;
  c = next_non_space(in);
  if (c == ']') {
    c = next_non_space(in);
    if (c >= 0) fail(where(in.offset()), "unexpected text after the array");
    return;
  }
  while (true) {
    // Collect one element: up to the ',' or ']' at nesting depth 0, outside strings.
    const int64_t start = in.offset();
    text.clear();
    int depth = 0;
    bool in_string = false, escaped = false;
    while (true) {
      if (c < 0) fail(where(in.offset()), "unexpected end of file inside element " + std::to_string(position.index));
      const char ch = static_cast<char>(c);
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (ch == '\\')
          escaped = true;
        else if (ch == '"')
          in_string = false;
      } else if (ch == '"') {
        in_string = true;
      } else if (ch == '{' || ch == '[') {
        ++depth;
      } else if (ch == '}' || ch == ']') {
        if (depth == 0) break;  // the closing ']' of the top-level array
        --depth;
      } else if (ch == ',' && depth == 0) {
        break;
      }
      text += ch;
      c = in.get();
    }
    nlohmann::json element;
    try {
      element = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number beyond double (1e309).
      fail(where(start), "malformed JSON in element " + std::to_string(position.index) + ": " + e.what());
    }
    position.bytes_read = in.offset();
    on_element(element, position);
    ++position.index;
    if (c == ']') break;
    c = next_non_space(in);
  }
  c = next_non_space(in);
  if (c >= 0) fail(where(in.offset()), "unexpected text after the array");
}

}  // namespace bua
