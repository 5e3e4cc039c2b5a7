// Feature TSV files, as the original tools/generate_tsv.py (csv.DictWriter, tab delimiter) writes them:
// no header, rows ending in CRLF, arrays as base64 of little-endian bytes.
//   original: image_id, image_w, image_h, num_boxes, boxes, features
//   LXMERT:   img_id, img_h, img_w, objects_id, objects_conf, attrs_id, attrs_conf, num_boxes, boxes, features
// boxes/features/confs are float32, ids int64. Downstream readers load them with
// csv.DictReader(delimiter='\t', fieldnames=...) and np.frombuffer(base64.b64decode(x), dtype).
#pragma once
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bua/io/feature_record.h"
#include "bua/util/atomic_file.h"

namespace bua {

enum class TsvLayout { kOriginal, kLxmert };

const std::vector<std::string>& tsv_fieldnames(TsvLayout layout);
const char* layout_name(TsvLayout layout);  // "original", "lxmert"

// One row in the layout, CRLF included. Validates the record first; throws bua::Error naming `where`
// and the image when it cannot be written (sizes disagree, no boxes, an id with a tab/quote/newline,
// LXMERT without the object fields).
std::string tsv_row(const FeatureRecord& record, TsvLayout layout, const std::string& where);

// Writes rows to `<path>.tmp.<pid>`; close() renames it over `path`. Destroyed without close() (an
// exception unwinding), the new rows are dropped and `path` is left as it was.
// kAppend resumes a run: the rows already in `path` (which must be in the same layout) are carried over
// first, except an unterminated last row, which an interrupted writer may have cut short.
class TsvWriter {
 public:
  enum class Mode { kCreate, kAppend };
  TsvWriter(std::string path, TsvLayout layout, Mode mode = Mode::kCreate);

  void write(const FeatureRecord& record);
  void close();

  TsvLayout layout() const { return layout_; }
  const std::string& path() const { return path_; }
  int64_t rows_kept() const { return rows_kept_; }        // carried over from the existing file
  int64_t rows_written() const { return rows_written_; }  // written through write()

 private:
  void carry_over_existing();

  std::string path_;
  TsvLayout layout_;
  std::unique_ptr<AtomicFile> file_;
  int64_t rows_kept_ = 0;
  int64_t rows_written_ = 0;
};

struct TsvReaderOptions {
  std::optional<TsvLayout> layout;  // default: detected from the field count of the first row
  // Skip (with a warning) a last row without a line end instead of reading it: what resuming wants,
  // since a writer interrupted mid-row leaves exactly that.
  bool skip_unterminated_last_row = false;
};

// Reads one row at a time (never the whole file). Accepts CRLF or LF line ends, skips blank lines like
// csv.DictReader. A bad row throws bua::Error "<path>:<line>: <problem>".
class TsvReader {
 public:
  explicit TsvReader(std::string path, TsvReaderOptions options = {});

  // Reads and decodes the next row; false at the end of the file.
  bool next(FeatureRecord& record);
  // Reads the next row without decoding it: its line (no line end) split at tabs. The views stay valid
  // until the next call. Checks only the field count.
  bool next_fields(std::vector<std::string_view>& fields);
  // Decodes the fields of the row next_fields just returned (lets a caller look at the id first).
  void decode(const std::vector<std::string_view>& fields, FeatureRecord& record) const;

  std::optional<TsvLayout> layout() const { return layout_; }  // known once a row was read
  int64_t line_number() const { return line_number_; }          // of the last row returned
  const std::string& line() const { return line_; }             // text of the last row returned
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }
  std::string where() const;  // "<path>:<line>"

 private:
  bool read_line();

  std::string path_;
  TsvReaderOptions options_;
  std::ifstream in_;
  std::vector<char> buffer_;
  std::string line_;
  std::optional<TsvLayout> layout_;
  int64_t line_number_ = 0;
  bool terminated_ = true;
  uint64_t bytes_read_ = 0;
  uint64_t file_size_ = 0;
};

// Image ids of the complete rows of `path`, in file order, without decoding the arrays (for resume).
// A missing file has none; an unterminated last row is not counted.
std::vector<std::string> read_tsv_ids(const std::string& path);

}  // namespace bua
