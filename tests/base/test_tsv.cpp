#include "bua/io/tsv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <sstream>

#include "bua/io/npy.h"
#include "bua/util/atomic_file.h"
#include "bua/util/error.h"
#include "bua/util/log.h"
#include "bua_test_paths.h"
#include "test_support.h"

namespace fs = std::filesystem;
using bua::FeatureRecord;
using bua::TsvLayout;
using bua::TsvReader;
using bua::TsvWriter;

using bua::testing::error_of;

namespace {

const std::string kDir = std::string(BUA_TEST_DATA) + "/tsv";
const std::string kOriginal = kDir + "/original.tsv";
const std::string kLxmert = kDir + "/lxmert.tsv";

std::vector<FeatureRecord> read_all(const std::string& path, bua::TsvReaderOptions options = {}) {
  std::vector<FeatureRecord> out;
  TsvReader reader(path, options);
  FeatureRecord r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

void write_all(const std::string& path, TsvLayout layout, const std::vector<FeatureRecord>& records) {
  TsvWriter w(path, layout);
  for (const auto& r : records) w.write(r);
  w.close();
}

// "COCO_val2014_000000391895" -> "391895": the reference .npy files are named by the numeric id.
std::string numeric_id(const std::string& id) {
  size_t digits = id.find_last_not_of("0123456789") + 1;
  std::string n = id.substr(digits);
  return std::to_string(std::stoll(n));
}

bua::NpyArray ref(const std::string& id, const std::string& field) {
  return bua::read_npy(kDir + "/" + numeric_id(id) + "_" + field + ".npy");
}

// A record built from the reference arrays alone (sizes from the reference TSV).
FeatureRecord record_from_npy(const std::string& id, int64_t w, int64_t h, bool with_objects) {
  FeatureRecord r;
  r.image_id = id;
  r.image_w = w;
  r.image_h = h;
  bua::NpyArray boxes = ref(id, "boxes");
  r.num_boxes = boxes.dim(0);
  r.boxes = boxes.as_float();
  r.features = ref(id, "features").as_float();
  if (with_objects) {
    r.objects_id = ref(id, "objects_id").as_int64();
    r.objects_conf = ref(id, "objects_conf").as_float();
    r.attrs_id = ref(id, "attrs_id").as_int64();
    r.attrs_conf = ref(id, "attrs_conf").as_float();
  }
  return r;
}

// Replaces the text of one line (1-based) of a file.
void edit_line(const std::string& path, int line, const std::function<void(std::string&)>& edit) {
  std::string text = bua::read_file(path);
  size_t begin = 0;
  for (int i = 1; i < line; ++i) begin = text.find('\n', begin) + 1;
  size_t end = text.find("\r\n", begin);
  std::string row = text.substr(begin, end - begin);
  edit(row);
  text = text.substr(0, begin) + row + text.substr(end);
  bua::write_file_atomic(path, text);
}

class LogCapture {
 public:
  LogCapture() { bua::set_log_stream(&out_); }
  ~LogCapture() { bua::set_log_stream(nullptr); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

TEST(Tsv, ReadsOriginalLayoutExactly) {
  TsvReader reader(kOriginal);
  FeatureRecord r;
  std::vector<std::string> ids;
  while (reader.next(r)) {
    EXPECT_EQ(reader.layout(), TsvLayout::kOriginal);
    EXPECT_EQ(reader.line_number(), static_cast<int64_t>(ids.size()) + 1);
    bua::NpyArray boxes = ref(r.image_id, "boxes"), features = ref(r.image_id, "features");
    EXPECT_EQ(r.num_boxes, boxes.dim(0));
    EXPECT_EQ(r.feature_dim(), features.dim(1));
    EXPECT_EQ(r.feature_dim(), 2048);
    EXPECT_EQ(r.boxes, boxes.as_float()) << r.image_id;
    EXPECT_EQ(r.features, features.as_float()) << r.image_id;
    EXPECT_FALSE(r.has_objects());
    EXPECT_GT(r.image_w, 0);
    EXPECT_GT(r.image_h, 0);
    ids.push_back(r.image_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"391895", "522418", "184613", "9"}));
  EXPECT_EQ(reader.bytes_read(), reader.file_size());
  EXPECT_EQ(bua::read_tsv_ids(kOriginal), ids);
}

TEST(Tsv, ReadsLxmertLayoutExactly) {
  std::vector<FeatureRecord> original = read_all(kOriginal);
  std::vector<FeatureRecord> lxmert = read_all(kLxmert);
  ASSERT_EQ(lxmert.size(), original.size());
  for (size_t i = 0; i < lxmert.size(); ++i) {
    const FeatureRecord& r = lxmert[i];
    EXPECT_EQ(numeric_id(r.image_id), original[i].image_id);
    // The same images: the LXMERT layout swaps the order of width and height, not their values.
    EXPECT_EQ(r.image_w, original[i].image_w);
    EXPECT_EQ(r.image_h, original[i].image_h);
    EXPECT_TRUE(r.has_objects());
    EXPECT_EQ(r.boxes, ref(r.image_id, "boxes").as_float());
    EXPECT_EQ(r.features, ref(r.image_id, "features").as_float());
    EXPECT_EQ(r.objects_id, ref(r.image_id, "objects_id").as_int64());
    EXPECT_EQ(r.objects_conf, ref(r.image_id, "objects_conf").as_float());
    EXPECT_EQ(r.attrs_id, ref(r.image_id, "attrs_id").as_int64());
    EXPECT_EQ(r.attrs_conf, ref(r.image_id, "attrs_conf").as_float());
  }
}

// Writing the records we read gives back the reference files byte for byte, and so does writing
// records built from the reference .npy arrays.
TEST(Tsv, RewriteIsByteIdentical) {
  bua::testing::TempDir tmp;
  for (auto [path, layout] : {std::pair{kOriginal, TsvLayout::kOriginal}, std::pair{kLxmert, TsvLayout::kLxmert}}) {
    std::vector<FeatureRecord> records = read_all(path);
    write_all(tmp.file("copy.tsv"), layout, records);
    EXPECT_EQ(bua::read_file(tmp.file("copy.tsv")), bua::read_file(path)) << path;

    std::vector<FeatureRecord> rebuilt;
    for (const auto& r : records)
      rebuilt.push_back(record_from_npy(r.image_id, r.image_w, r.image_h, layout == TsvLayout::kLxmert));
    write_all(tmp.file("rebuilt.tsv"), layout, rebuilt);
    EXPECT_EQ(bua::read_file(tmp.file("rebuilt.tsv")), bua::read_file(path)) << path;
  }
}

TEST(Tsv, ReadsLfLineEndsAndSkipsBlankLines) {
  bua::testing::TempDir tmp;
  std::string text = bua::read_file(kOriginal), lf;
  for (char c : text)
    if (c != '\r') lf += c;
  lf.insert(lf.find('\n') + 1, "\n");  // a blank line after row 1
  lf.pop_back();                       // and no line end after the last row
  bua::write_file_atomic(tmp.file("lf.tsv"), lf);
  EXPECT_EQ(read_all(tmp.file("lf.tsv")), read_all(kOriginal));
}

TEST(Tsv, BadRowsNameFileAndLine) {
  bua::testing::TempDir tmp;
  std::string bad = tmp.file("bad.tsv");
  auto fresh = [&] { bua::write_file_atomic(bad, bua::read_file(kOriginal)); };
  auto read_error = [&] { return error_of([&] { read_all(bad); }); };

  fresh();
  edit_line(bad, 2, [](std::string& row) { row[row.size() - 10] = '!'; });
  EXPECT_NE(read_error().find(bad + ":2: image 522418: features: bad base64 character '!'"), std::string::npos)
      << read_error();

  fresh();
  edit_line(bad, 2, [](std::string& row) { row.replace(row.find("\t36\t"), 4, "\t35\t"); });
  EXPECT_EQ(read_error(), bad + ":2: image 522418: num_boxes is 35 but boxes holds 144 floats (need 140)");

  fresh();
  edit_line(bad, 3, [](std::string& row) { row.erase(row.rfind('\t')); });
  EXPECT_EQ(read_error(), bad + ":3: 5 fields; the original layout has 6");

  fresh();
  edit_line(bad, 4, [](std::string& row) { row.erase(row.size() - 3); });
  EXPECT_EQ(read_error(), bad + ":4: image 9: features: bad base64: length 1092265 is not a multiple of 4 (truncated?)");

  fresh();
  edit_line(bad, 2, [](std::string& row) { row.replace(row.find('\t'), 4, "\t4x0"); });
  EXPECT_EQ(read_error(), bad + ":2: image 522418: image_w: '4x0' is not an integer");

  fresh();
  edit_line(bad, 1, [](std::string& row) { row += "\textra"; });
  EXPECT_EQ(read_error(), bad + ":1: 7 fields; a feature TSV row has 6 (original layout) or 10 (LXMERT layout)");

  // A fixed layout that does not match the file.
  bua::TsvReaderOptions lx;
  lx.layout = TsvLayout::kLxmert;
  EXPECT_EQ(error_of([&] { read_all(kOriginal, lx); }), kOriginal + ":1: 6 fields; the lxmert layout has 10");
  EXPECT_NE(error_of([&] { TsvReader r(tmp.file("missing.tsv")); }).find("missing.tsv: cannot open"), std::string::npos);
}

TEST(Tsv, WriterRefusesRecordsDownstreamCannotRead) {
  FeatureRecord r = read_all(kOriginal)[2];
  auto row_error = [](FeatureRecord rec, TsvLayout layout) {
    return error_of([&] { bua::tsv_row(rec, layout, "out.tsv"); });
  };
  EXPECT_EQ(row_error(r, TsvLayout::kLxmert),
            "out.tsv: image 184613: the LXMERT layout needs objects_id, objects_conf, attrs_id and attrs_conf, which "
            "this record lacks");
  FeatureRecord tab = r;
  tab.image_id = "a\tb";
  EXPECT_NE(row_error(tab, TsvLayout::kOriginal).find("contains a tab, quote or line break"), std::string::npos);
  FeatureRecord empty = r;
  empty.num_boxes = 0;
  empty.boxes.clear();
  empty.features.clear();
  EXPECT_NE(row_error(empty, TsvLayout::kOriginal).find("no boxes"), std::string::npos);
  FeatureRecord ragged = read_all(kOriginal)[0];
  ragged.features.pop_back();
  EXPECT_EQ(row_error(ragged, TsvLayout::kOriginal),
            "out.tsv: image 391895: features holds 20479 floats, not a multiple of num_boxes 10");
  FeatureRecord half = read_all(kLxmert)[0];
  half.attrs_conf.pop_back();
  EXPECT_EQ(row_error(half, TsvLayout::kLxmert),
            "out.tsv: image COCO_val2014_000000391895: attrs_conf holds 9 values but num_boxes is 10");
}

TEST(Tsv, WriterIsAtomicAndAppendResumes) {
  bua::testing::TempDir tmp;
  std::string out = tmp.file("out.tsv");
  std::vector<FeatureRecord> records = read_all(kOriginal);
  {
    TsvWriter w(out, TsvLayout::kOriginal);
    w.write(records[0]);
    EXPECT_FALSE(fs::exists(out));
  }  // no close(): nothing appears
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(tmp.path()));

  write_all(out, TsvLayout::kOriginal, {records[0], records[1]});
  {
    TsvWriter w(out, TsvLayout::kOriginal, TsvWriter::Mode::kAppend);
    EXPECT_EQ(w.rows_kept(), 2);
    w.write(records[2]);
  }  // dropped: the existing rows stay as they were
  EXPECT_EQ(bua::read_tsv_ids(out), (std::vector<std::string>{"391895", "522418"}));

  TsvWriter w(out, TsvLayout::kOriginal, TsvWriter::Mode::kAppend);
  w.write(records[2]);
  w.write(records[3]);
  w.close();
  EXPECT_EQ(w.rows_kept(), 2);
  EXPECT_EQ(w.rows_written(), 2);
  EXPECT_EQ(bua::read_file(out), bua::read_file(kOriginal));

  EXPECT_EQ(error_of([&] { TsvWriter(out, TsvLayout::kLxmert, TsvWriter::Mode::kAppend); }),
            out + ": holds rows in the original layout; cannot append lxmert rows");
  EXPECT_TRUE(bua::read_tsv_ids(tmp.file("none.tsv")).empty());
}

// A run killed mid-row (by the original's plain appending writer) leaves a row without a line end:
// resuming drops it, and lists only the complete rows as done.
TEST(Tsv, ResumeDropsACutShortLastRow) {
  LogCapture log;
  bua::testing::TempDir tmp;
  std::string out = tmp.file("out.tsv.0");
  std::string text = bua::read_file(kOriginal);
  bua::write_file_atomic(out, text.substr(0, text.size() - 5000));
  bua::write_file_atomic(out + ".tmp.999999", "leftover");
  EXPECT_EQ(bua::read_tsv_ids(out), (std::vector<std::string>{"391895", "522418", "184613"}));
  std::vector<FeatureRecord> records = read_all(kOriginal);
  TsvWriter w(out, TsvLayout::kOriginal, TsvWriter::Mode::kAppend);
  EXPECT_EQ(w.rows_kept(), 3);
  w.write(records[3]);
  w.close();
  EXPECT_EQ(bua::read_file(out), text);
  EXPECT_NE(log.text().find(out + ":4: last row has no line end"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find(out + ".tmp.999999: temp file of an interrupted run"), std::string::npos) << log.text();
  // Reading it for itself (not resuming), the cut row is an error with its line number.
  bua::write_file_atomic(out, text.substr(0, text.size() - 5000));
  EXPECT_NE(error_of([&] { read_all(out); }).find(out + ":4: image 9: features: bad base64"), std::string::npos);
}

// What we write is read by the downstream loaders' own code: csv.DictReader + base64 + np.frombuffer.
TEST(Tsv, DownstreamPythonReadersLoadOurFiles) {
  std::string python = bua::testing::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "python3 with numpy not available";
  bua::testing::TempDir tmp;
  std::vector<FeatureRecord> lxmert = read_all(kLxmert);
  // Original layout: built from the .npy arrays with the numeric ids; LXMERT layout: as read.
  std::vector<FeatureRecord> original;
  for (const auto& r : lxmert) original.push_back(record_from_npy(numeric_id(r.image_id), r.image_w, r.image_h, false));
  write_all(tmp.file("ours_original.tsv"), TsvLayout::kOriginal, original);
  write_all(tmp.file("ours_lxmert.tsv"), TsvLayout::kLxmert, lxmert);

  const char* script = R"PY(
import sys, os, csv, base64, re
import numpy as np
csv.field_size_limit(sys.maxsize)
ref_dir, out_dir = sys.argv[1], sys.argv[2]
def ref(image_id, field):
    return np.load(os.path.join(ref_dir, '%d_%s.npy' % (int(re.search(r'(\d+)$', image_id).group(1)), field)))

# bottom-up-attention's reader (tools/read_tsv.py, VQA loaders).
FIELDNAMES = ['image_id', 'image_w', 'image_h', 'num_boxes', 'boxes', 'features']
n = 0
with open(os.path.join(out_dir, 'ours_original.tsv'), 'r') as f:
    for item in csv.DictReader(f, delimiter='\t', fieldnames=FIELDNAMES):
        item['image_id'] = int(item['image_id'])
        for key in ['image_h', 'image_w', 'num_boxes']:
            item[key] = int(item[key])
        for field in ['boxes', 'features']:
            item[field] = np.frombuffer(base64.b64decode(item[field]), dtype=np.float32).reshape((item['num_boxes'], -1))
        assert np.array_equal(item['boxes'], ref(str(item['image_id']), 'boxes')), item['image_id']
        assert np.array_equal(item['features'], ref(str(item['image_id']), 'features')), item['image_id']
        n += 1
assert n == 4, n

# LXMERT's load_obj_tsv.
FIELDNAMES = ['img_id', 'img_h', 'img_w', 'objects_id', 'objects_conf', 'attrs_id', 'attrs_conf', 'num_boxes', 'boxes', 'features']
n = 0
with open(os.path.join(out_dir, 'ours_lxmert.tsv')) as f:
    for item in csv.DictReader(f, FIELDNAMES, delimiter='\t'):
        for key in ['img_h', 'img_w', 'num_boxes']:
            item[key] = int(item[key])
        boxes = item['num_boxes']
        for key, shape, dtype in [('objects_id', (boxes,), np.int64), ('objects_conf', (boxes,), np.float32),
                                  ('attrs_id', (boxes,), np.int64), ('attrs_conf', (boxes,), np.float32),
                                  ('boxes', (boxes, 4), np.float32), ('features', (boxes, -1), np.float32)]:
            item[key] = np.frombuffer(base64.b64decode(item[key]), dtype=dtype).reshape(shape)
            assert np.array_equal(item[key], ref(item['img_id'], key)), (item['img_id'], key)
        n += 1
assert n == 4, n
print('ok')
)PY";
  auto r = bua::testing::run_python(python, tmp, script,
                                    bua::testing::shell_quote(kDir) + " " + bua::testing::shell_quote(tmp.path().string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "ok\n");
}
