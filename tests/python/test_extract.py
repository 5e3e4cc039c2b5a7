"""bua.Extractor gives, bit for bit, the records generate_tsv writes (its .npz output) for the same image, network
and options: from a path, from an array (colour, grey, strided), for given boxes, with regressed boxes, in bf16,
and through extract_many's batches."""
import json
import os
import pathlib
import shutil
import unittest

import numpy as np

import bua
from bua_test_support import MESSI, ReferenceNetCase, read_npz_dir, write_bmp, write_png_grey


class ExtractMatchesGenerateTsv(ReferenceNetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Three images: the JPEG, a lossless BMP of another picture (messi5 mirrored, as an array would hold it) and
        # a grey PNG. Arrays of the last two decode back exactly, so file and array inputs can be compared.
        cls.images = cls.path("images")
        os.makedirs(cls.images)
        shutil.copy(MESSI, os.path.join(cls.images, "messi5.jpg"))
        cls.messi = os.path.join(cls.images, "messi5.jpg")
        cls.mirrored = np.ascontiguousarray(bua.read_image(MESSI)[:, ::-1])
        write_bmp(os.path.join(cls.images, "mirrored.bmp"), cls.mirrored)
        cls.grey = np.ascontiguousarray(bua.read_image(MESSI)[40:300, 20:500, 1])
        write_png_grey(os.path.join(cls.images, "grey.png"), cls.grey)
        cls.ex = bua.Extractor(cls.net, cfg=cls.cfg)
        cls.npz = cls.path("adaptive_npz")
        cls.generate(cls.npz, "--images", cls.images, "--format", "npz")
        cls.want = read_npz_dir(cls.npz)

    def test_the_reference_run_gives_records(self):
        self.assertEqual(sorted(self.want), ["grey", "messi5", "mirrored"])
        self.assertGreaterEqual(int(self.want["messi5"]["num_bbox"]), 10)

    def test_a_path_gives_generate_tsvs_record(self):
        record = self.ex(self.messi)
        self.assertEqual(record["image_id"], "messi5")
        self.assertEqual((record["image_h"], record["image_w"]), (342, 548))
        self.assertEqual(record["features"].dtype, np.float32)
        self.assertEqual(record["features"].shape[1], 512)  # the reduced network's pool5
        self.assertRecordMatchesNpz(record, self.want["messi5"], "messi5.jpg")
        # os.PathLike and bytes name the same file.
        self.assertRecordMatchesNpz(self.ex(pathlib.Path(self.messi)), self.want["messi5"], "pathlib.Path")
        self.assertRecordMatchesNpz(self.ex(os.fsencode(self.messi)), self.want["messi5"], "bytes path")

    def test_read_image_decodes_as_generate_tsv(self):
        pixels = bua.read_image(self.messi)
        self.assertEqual((pixels.dtype, pixels.shape), (np.uint8, (342, 548, 3)))
        record = self.ex(pixels)
        self.assertIsNone(record["image_id"])
        self.assertRecordMatchesNpz(record, self.want["messi5"], "decoded messi5 array")
        np.testing.assert_array_equal(bua.read_image(os.path.join(self.images, "mirrored.bmp")), self.mirrored)

    def test_a_bgr_array_gives_the_record_of_its_file(self):
        self.assertRecordMatchesNpz(self.ex(self.mirrored), self.want["mirrored"], "BGR array")
        # A strided view of the same pixels (what [:, ::-1] gives) is read as the pixels it shows.
        strided = bua.read_image(MESSI)[:, ::-1]
        self.assertFalse(strided.flags["C_CONTIGUOUS"])
        self.assertRecordMatchesNpz(self.ex(strided), self.want["mirrored"], "strided array")

    def test_a_grey_array_gives_the_record_of_its_file(self):
        # cv2.imread(IMREAD_COLOR) repeats a grey file into B, G and R; so does the array path.
        self.assertRecordMatchesNpz(self.ex(self.grey), self.want["grey"], "H x W grey array")
        self.assertRecordMatchesNpz(self.ex(self.grey[:, :, None]), self.want["grey"], "H x W x 1 grey array")
        np.testing.assert_array_equal(bua.read_image(os.path.join(self.images, "grey.png")),
                                      np.repeat(self.grey[:, :, None], 3, axis=2))

    def test_given_boxes_give_generate_tsvs_features_in_their_order(self):
        selected = self.want["messi5"]["bbox"]
        boxes = np.concatenate([selected[::-1][:5], np.array([[0, 0, 547, 341], [10.5, 20.25, 30, 40]], np.float32)])
        boxes_json = self.path("boxes.json")
        with open(boxes_json, "w") as f:
            json.dump({"messi5": [[float(v) for v in b] for b in boxes]}, f)  # float32 values exactly, as doubles
        out = self.path("given_npz")
        self.generate(out, "--images", self.images, "--format", "npz", "--boxes", boxes_json)
        want = read_npz_dir(out)["messi5"]
        record = self.ex(self.messi, boxes=boxes)
        self.assertRecordMatchesNpz(record, want, "given boxes")
        # In their order; written as generate_tsv writes them, rois / scale, so within a float's rounding.
        np.testing.assert_allclose(record["boxes"], boxes, rtol=1e-6)
        # A list of lists and float64 are the same boxes.
        self.assertRecordMatchesNpz(self.ex(self.messi, boxes=boxes.astype(np.float64).tolist()), want, "list boxes")

    def test_extract_many_gives_generate_tsvs_records_in_order(self):
        paths = [os.path.join(self.images, n) for n in ("mirrored.bmp", "messi5.jpg", "grey.png")]
        inputs = [paths[0], self.messi, self.grey, pathlib.Path(paths[2]), self.mirrored]
        ids = ["mirrored", "messi5", "grey", "grey", "mirrored"]
        records = list(self.ex.extract_many(inputs, batch_images=2))
        self.assertEqual(len(records), len(inputs))
        for k, (record, image_id) in enumerate(zip(records, ids)):
            self.assertRecordMatchesNpz(record, self.want[image_id], f"extract_many record {k}")
        self.assertEqual([r["image_id"] for r in records], ["mirrored", "messi5", None, "grey", None])

    def test_extract_many_with_given_boxes(self):
        boxes = self.want["messi5"]["bbox"][:3]
        records = list(self.ex.extract_many([self.messi, self.messi], boxes=[boxes, None], batch_images=4))
        np.testing.assert_allclose(records[0]["boxes"], boxes, rtol=1e-6)
        self.assertBitwiseEqual(records[0]["features"], self.ex(self.messi, boxes=boxes)["features"], "given features")
        self.assertRecordMatchesNpz(records[1], self.want["messi5"], "proposals beside given boxes")

    def test_a_failing_image_raises_in_its_turn_and_the_rest_follow(self):
        broken = self.path("broken.jpg")
        with open(broken, "wb") as f:
            f.write(b"not an image at all")
        it = self.ex.extract_many([self.messi, broken, self.grey], batch_images=4)
        self.assertRecordMatchesNpz(next(it), self.want["messi5"], "before the broken file")
        with self.assertRaises(bua.Error) as caught:
            next(it)
        self.assertIn(broken, str(caught.exception))
        self.assertRecordMatchesNpz(next(it), self.want["grey"], "after the broken file")
        with self.assertRaises(StopIteration):
            next(it)

    def test_regressed_boxes_match_generate_tsv(self):
        out = self.path("regressed_npz")
        self.generate(out, "--images", self.images, "--format", "npz", "--box-source", "regressed")
        ex = bua.Extractor(self.net, cfg=self.cfg, box_source="regressed")
        self.assertRecordMatchesNpz(ex(self.messi), read_npz_dir(out)["messi5"], "regressed")

    def test_fixed_36_in_bf16_matches_generate_tsv(self):
        out = self.path("bf16_npz")
        self.generate(out, "--images", self.images, "--format", "npz", "--dtype", "bf16", "--min-boxes", "36",
                      "--max-boxes", "36")
        ex = bua.Extractor(self.net, dtype="bf16", min_boxes=36, max_boxes=36, cfg=[self.cfg])
        record = ex(self.messi)
        self.assertEqual(len(record["boxes"]), 36)
        self.assertRecordMatchesNpz(record, read_npz_dir(out)["messi5"], "bf16, 36 boxes")

    def test_vocabularies_name_the_ids(self):
        names = bua.vocab(self.net)
        self.assertEqual(len(names["objects"]), 20)
        self.assertEqual(len(names["attributes"]), 10)
        self.assertEqual(names["objects"][0], "man,person")  # line 1 of objects_vocab.txt: objects_id 0
        self.assertEqual(self.ex.classes, names["objects"])
        self.assertEqual(self.ex.attributes, names["attributes"])
        with open(os.path.join(os.path.dirname(MESSI), "attributes_vocab.txt")) as f:
            self.assertEqual(names["attributes"], f.read().splitlines())


if __name__ == "__main__":
    unittest.main(verbosity=2)
