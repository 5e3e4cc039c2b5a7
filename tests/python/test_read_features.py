"""bua.read_features reads every output format as the same records: each one converted from an LXMERT TSV by
read_tsv is compared with that TSV as numpy alone parses it (csv + base64, as LXMERT's load_obj_tsv), and the
HDF5 layouts also with h5py."""
import base64
import csv
import os
import pickle
import shutil
import sys
import unittest

import h5py
import numpy as np

import bua
from bua_test_support import MESSI, ReferenceNetCase, run_tool, write_bmp

OBJECT_KEYS = ("objects_id", "objects_conf", "attrs_id", "attrs_conf")


def parse_lxmert_tsv(path):
    """image id -> record dict, read as LXMERT's load_obj_tsv does (no bua code involved)."""
    csv.field_size_limit(sys.maxsize)
    fields = ["img_id", "img_h", "img_w", "objects_id", "objects_conf", "attrs_id", "attrs_conf", "num_boxes",
              "boxes", "features"]
    types = {"objects_id": np.int64, "objects_conf": np.float32, "attrs_id": np.int64, "attrs_conf": np.float32,
             "boxes": np.float32, "features": np.float32}
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f, fieldnames=fields, delimiter="\t"):
            n = int(row["num_boxes"])
            r = {k: np.frombuffer(base64.b64decode(row[k]), dtype=t) for k, t in types.items()}
            r["boxes"] = r["boxes"].reshape(n, 4)
            r["features"] = r["features"].reshape(n, -1)
            r["image_h"], r["image_w"] = int(row["img_h"]), int(row["img_w"])
            out[row["img_id"]] = r
    return out


class ReadFeaturesOfEveryFormat(ReferenceNetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        images = cls.path("images")
        os.makedirs(images)
        shutil.copy(MESSI, os.path.join(images, "messi5.jpg"))
        write_bmp(os.path.join(images, "mirrored.bmp"), np.ascontiguousarray(bua.read_image(MESSI)[:, ::-1]))
        cls.tsv = cls.path("adaptive.tsv")
        cls.generate(cls.tsv, "--images", images, "--format", "lxmert")
        cls.want = parse_lxmert_tsv(cls.tsv)
        # hdf5-fixed holds one box count for all images.
        cls.fixed_tsv = cls.path("fixed.tsv")
        cls.generate(cls.fixed_tsv, "--images", images, "--format", "lxmert", "--min-boxes", "12", "--max-boxes", "12")
        cls.want_fixed = parse_lxmert_tsv(cls.fixed_tsv)

    def convert(self, source, fmt, out):
        run_tool("read_tsv", source, "--convert-to", fmt, "--out", out)
        return out

    def assertRecordsMatch(self, path, want, fmt, has_objects):
        reader = bua.read_features(path)
        records = list(reader)
        self.assertEqual(reader.format, fmt)
        self.assertEqual(sorted(r["image_id"] for r in records), sorted(want), fmt)
        for r in records:
            w = want[r["image_id"]]
            what = f"{fmt} {r['image_id']}"
            self.assertEqual((r["image_h"], r["image_w"]), (w["image_h"], w["image_w"]), what)
            for key in ("boxes", "features") + (OBJECT_KEYS if has_objects else ()):
                self.assertEqual(r[key].dtype, w[key].dtype, f"{what} {key}")
                self.assertEqual(r[key].shape, w[key].shape, f"{what} {key}")
                self.assertEqual(r[key].tobytes(), w[key].tobytes(), f"{what} {key}")
            if not has_objects:
                self.assertFalse(set(OBJECT_KEYS) & set(r), f"{what}: this layout holds no object fields")
        return records

    def test_the_tsv_itself(self):
        self.assertEqual(len(self.want), 2)
        self.assertRecordsMatch(self.tsv, self.want, "lxmert", has_objects=True)

    def test_original_tsv(self):
        out = self.convert(self.tsv, "tsv", self.path("original.tsv"))
        self.assertRecordsMatch(out, self.want, "original", has_objects=False)

    def test_npz_folder(self):
        out = self.convert(self.tsv, "npz", self.path("npz"))
        self.assertRecordsMatch(out, self.want, "npz", has_objects=True)

    def test_captioning(self):
        prefix = self.convert(self.tsv, "captioning", self.path("cap"))
        self.assertRecordsMatch(prefix, self.want, "captioning", has_objects=False)

    def test_hdf5_adaptive(self):
        out = self.convert(self.tsv, "hdf5-adaptive", self.path("adaptive.hdf5"))
        records = self.assertRecordsMatch(out, self.want, "hdf5-adaptive", has_objects=True)
        with open(self.path("adaptive_imgid2idx.pkl"), "rb") as f:
            rows = pickle.load(f)
        with h5py.File(out, "r") as h5:
            for r in records:
                lo, hi = h5["pos_boxes"][rows[r["image_id"]]]
                np.testing.assert_array_equal(h5["image_features"][lo:hi], r["features"])
                np.testing.assert_array_equal(h5["image_bb"][lo:hi], r["boxes"])

    def test_hdf5_fixed(self):
        out = self.convert(self.fixed_tsv, "hdf5-fixed", self.path("fixed.hdf5"))
        records = self.assertRecordsMatch(out, self.want_fixed, "hdf5-fixed", has_objects=True)
        with open(self.path("fixed_imgid2idx.pkl"), "rb") as f:
            rows = pickle.load(f)
        with h5py.File(out, "r") as h5:
            self.assertEqual(h5["image_features"].shape[1], 12)
            for r in records:
                np.testing.assert_array_equal(h5["image_features"][rows[r["image_id"]]], r["features"])
                np.testing.assert_array_equal(h5["image_bb"][rows[r["image_id"]]], r["boxes"])

    def test_generate_tsvs_npz_output(self):
        out = self.path("generated_npz")
        self.generate(out, "--images", self.path("images"), "--format", "npz")
        self.assertRecordsMatch(out, self.want, "npz", has_objects=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
