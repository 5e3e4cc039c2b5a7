#include "bua/io/tsv.h"

#include <charconv>
#include <cstring>
#include <filesystem>

#include "bua/io/base64.h"
#include "bua/util/error.h"
#include "bua/util/log.h"

namespace bua {
namespace {

namespace fs = std::filesystem;

constexpr size_t kOriginalFields = 6;
constexpr size_t kLxmertFields = 10;

size_t field_count(TsvLayout layout) { return layout == TsvLayout::kOriginal ? kOriginalFields : kLxmertFields; }

// Field positions of each layout.
struct Columns {
  size_t id, w, h, num_boxes, boxes, features;
  int objects_id, objects_conf, attrs_id, attrs_conf;  // -1: not in the layout
};
constexpr Columns kOriginalColumns{0, 1, 2, 3, 4, 5, -1, -1, -1, -1};
constexpr Columns kLxmertColumns{0, 2, 1, 7, 8, 9, 3, 4, 5, 6};
const Columns& columns(TsvLayout layout) { return layout == TsvLayout::kOriginal ? kOriginalColumns : kLxmertColumns; }

template <class T>
std::string b64(const std::vector<T>& v) {
  return base64_encode(v.data(), v.size() * sizeof(T));
}

template <class T>
std::vector<T> decode_array(std::string_view text, const std::string& where, const char* field, const char* type) {
  std::string at = where + ": " + field;
  size_t bytes = base64_decoded_size(text, at);
  if (bytes % sizeof(T) != 0)
    fail(at, "decodes to " + std::to_string(bytes) + " bytes, not a whole number of " + type + " values");
  std::vector<T> out(bytes / sizeof(T));
  base64_decode_into(text, reinterpret_cast<uint8_t*>(out.data()), bytes, at);
  return out;
}

int64_t parse_int(std::string_view text, const std::string& where, const char* field) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    fail(where, std::string(field) + ": '" + std::string(text.substr(0, 40)) + "' is not an integer");
  return v;
}

void check_id(const std::string& id, const std::string& where) {
  if (id.empty()) fail(where, "empty image id");
  // csv.writer would quote such an id, and the readers we feed split on tabs and line ends.
  if (id.find_first_of("\t\r\n\"") != std::string::npos)
    fail(where, "image id '" + id + "' contains a tab, quote or line break");
}

}  // namespace

const std::vector<std::string>& tsv_fieldnames(TsvLayout layout) {
  static const std::vector<std::string> original{"image_id", "image_w", "image_h", "num_boxes", "boxes", "features"};
  static const std::vector<std::string> lxmert{"img_id",     "img_h",    "img_w",     "objects_id", "objects_conf",
                                               "attrs_id",   "attrs_conf", "num_boxes", "boxes",      "features"};
  return layout == TsvLayout::kOriginal ? original : lxmert;
}

const char* layout_name(TsvLayout layout) { return layout == TsvLayout::kOriginal ? "original" : "lxmert"; }

std::string tsv_row(const FeatureRecord& r, TsvLayout layout, const std::string& where) {
  r.validate(where);
  std::string at = where + ": image " + r.image_id;
  check_id(r.image_id, at);
  // np.frombuffer(...).reshape(0, -1) fails, so a row without boxes would break every downstream reader.
  if (r.num_boxes == 0) fail(at, "no boxes: downstream readers cannot reshape an empty features field");
  std::string row;
  row.reserve((r.boxes.size() + r.features.size()) * 4 * 4 / 3 + 256);
  auto add = [&row](const std::string& field, char end) {
    row += field;
    row += end;
  };
  if (layout == TsvLayout::kOriginal) {
    add(r.image_id, '\t');
    add(std::to_string(r.image_w), '\t');
    add(std::to_string(r.image_h), '\t');
  } else {
    if (!r.has_objects())
      fail(at, "the LXMERT layout needs objects_id, objects_conf, attrs_id and attrs_conf, which this record lacks");
    add(r.image_id, '\t');
    add(std::to_string(r.image_h), '\t');
    add(std::to_string(r.image_w), '\t');
    add(b64(r.objects_id), '\t');
    add(b64(r.objects_conf), '\t');
    add(b64(r.attrs_id), '\t');
    add(b64(r.attrs_conf), '\t');
  }
  add(std::to_string(r.num_boxes), '\t');
  add(b64(r.boxes), '\t');
  row += b64(r.features);
  row += "\r\n";
  return row;
}

// ---- TsvWriter ----

TsvWriter::TsvWriter(std::string path, TsvLayout layout, Mode mode) : path_(std::move(path)), layout_(layout) {
  file_ = std::make_unique<AtomicFile>(path_, /*sync_on_commit=*/true);
  if (mode == Mode::kAppend && fs::exists(path_)) carry_over_existing();
}

void TsvWriter::carry_over_existing() {
  // Temp files of runs killed before they could rename: their rows are not resumed, say so.
  fs::path target(path_);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path() != fs::path(file_->temp_path()))
      log_warn(entry.path().string() + ": temp file of an interrupted run; its rows are not resumed (delete it)");
  }

  TsvReaderOptions options;
  options.skip_unterminated_last_row = true;
  TsvReader reader(path_, options);
  std::vector<std::string_view> fields;
  while (reader.next_fields(fields)) {
    if (*reader.layout() != layout_)
      fail(path_, std::string("holds rows in the ") + layout_name(*reader.layout()) + " layout; cannot append " +
                      layout_name(layout_) + " rows");
    file_->write(reader.line());
    file_->write("\r\n");
    ++rows_kept_;
  }
}

void TsvWriter::write(const FeatureRecord& record) {
  if (!file_) fail(path_, "write after close");
  file_->write(tsv_row(record, layout_, path_));
  ++rows_written_;
}

void TsvWriter::close() {
  if (!file_) return;
  file_->commit();
  file_.reset();
}

// ---- TsvReader ----

TsvReader::TsvReader(std::string path, TsvReaderOptions options)
    : path_(std::move(path)), options_(options), layout_(options.layout) {
  // A large stream buffer: rows are up to a few MB (100 boxes x 2048 floats, base64).
  buffer_.resize(1 << 20);
  in_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  in_.open(path_, std::ios::binary);
  if (!in_) fail(path_, std::string("cannot open: ") + std::strerror(errno));
  std::error_code ec;
  if (fs::is_directory(path_, ec)) fail(path_, "is a directory, not a TSV file");
  auto size = fs::file_size(path_, ec);
  file_size_ = ec ? 0 : size;
}

std::string TsvReader::where() const { return path_ + ":" + std::to_string(line_number_); }

bool TsvReader::read_line() {
  if (!std::getline(in_, line_)) {
    if (in_.bad()) fail(path_, "read failed after line " + std::to_string(line_number_));
    return false;
  }
  ++line_number_;
  terminated_ = !in_.eof();
  bytes_read_ += line_.size() + (terminated_ ? 1 : 0);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool TsvReader::next_fields(std::vector<std::string_view>& fields) {
  do {
    if (!read_line()) return false;
  } while (line_.empty());  // csv.DictReader skips blank rows too
  if (!terminated_ && options_.skip_unterminated_last_row) {
    log_warn(where() + ": last row has no line end (cut short by an interrupted write?); skipped");
    return false;
  }

  fields.clear();
  std::string_view rest(line_);
  while (true) {
    size_t tab = rest.find('\t');
    fields.push_back(rest.substr(0, tab));
    if (tab == std::string_view::npos) break;
    rest.remove_prefix(tab + 1);
  }

  if (!layout_) {
    if (fields.size() == kOriginalFields) layout_ = TsvLayout::kOriginal;
    else if (fields.size() == kLxmertFields) layout_ = TsvLayout::kLxmert;
    else
      fail(where(), std::to_string(fields.size()) + " fields; a feature TSV row has " +
                        std::to_string(kOriginalFields) + " (original layout) or " + std::to_string(kLxmertFields) +
                        " (LXMERT layout)");
  } else if (fields.size() != field_count(*layout_)) {
    fail(where(), std::to_string(fields.size()) + " fields; the " + layout_name(*layout_) + " layout has " +
                      std::to_string(field_count(*layout_)) + (terminated_ ? "" : " (last row cut short?)"));
  }
  if (!fields[0].empty() && fields[0][0] == '"') fail(where(), "quoted image id fields are not supported");
  return true;
}

bool TsvReader::next(FeatureRecord& r) {
  std::vector<std::string_view> f;
  if (!next_fields(f)) return false;
  decode(f, r);
  return true;
}

void TsvReader::decode(const std::vector<std::string_view>& f, FeatureRecord& r) const {
  if (!layout_ || f.size() != field_count(*layout_)) fail(where(), "decode() without a row from next_fields()");
  std::string at = where();
  const Columns& c = columns(*layout_);
  r = FeatureRecord();
  r.image_id = std::string(f[c.id]);
  if (r.image_id.empty()) fail(at, "empty image id");
  std::string in_image = at + ": image " + r.image_id;
  r.image_w = parse_int(f[c.w], in_image, tsv_fieldnames(*layout_)[c.w].c_str());
  r.image_h = parse_int(f[c.h], in_image, tsv_fieldnames(*layout_)[c.h].c_str());
  r.num_boxes = parse_int(f[c.num_boxes], in_image, "num_boxes");
  r.boxes = decode_array<float>(f[c.boxes], in_image, "boxes", "float32");
  r.features = decode_array<float>(f[c.features], in_image, "features", "float32");
  if (c.objects_id >= 0) {
    r.objects_id = decode_array<int64_t>(f[c.objects_id], in_image, "objects_id", "int64");
    r.objects_conf = decode_array<float>(f[c.objects_conf], in_image, "objects_conf", "float32");
    r.attrs_id = decode_array<int64_t>(f[c.attrs_id], in_image, "attrs_id", "int64");
    r.attrs_conf = decode_array<float>(f[c.attrs_conf], in_image, "attrs_conf", "float32");
  }
  r.validate(at);
}

std::vector<std::string> read_tsv_ids(const std::string& path) {
  std::vector<std::string> ids;
  if (!fs::exists(path)) return ids;
  TsvReaderOptions options;
  options.skip_unterminated_last_row = true;
  TsvReader reader(path, options);
  std::vector<std::string_view> fields;
  while (reader.next_fields(fields)) {
    if (fields[0].empty()) fail(reader.where(), "empty image id");
    ids.emplace_back(fields[0]);
  }
  return ids;
}

}  // namespace bua
