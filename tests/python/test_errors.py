"""Bad input raises a Python exception whose message is the library's line naming the file or argument and the
problem: never a C++ trace, a crash or a partial record."""
import os
import unittest

import numpy as np

import bua
from bua_test_support import MESSI, ReferenceNetCase


class ErrorsAreOneClearLine(ReferenceNetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ex = bua.Extractor(cls.net, cfg=cls.cfg)
        cls.text_file = cls.path("notes.txt")
        with open(cls.text_file, "w") as f:
            f.write("this is no checkpoint\n")

    def assertRaisesLine(self, exc_type, call, *fragments):
        with self.assertRaises(exc_type) as caught:
            call()
        message = str(caught.exception)
        for fragment in fragments:
            self.assertIn(fragment, message)
        for trace in ("Exception raised from", "frame #", "OpenCV(", ".cpp:"):
            self.assertNotIn(trace, message)
        self.assertNotIn("\n", message)
        return message

    def test_error_is_a_runtime_error(self):
        self.assertTrue(issubclass(bua.Error, RuntimeError))

    def test_missing_image(self):
        missing = self.path("nowhere.jpg")
        self.assertRaisesLine(bua.Error, lambda: self.ex(missing), missing, "No such file")
        self.assertRaisesLine(bua.Error, lambda: bua.read_image(missing), missing, "cannot open image file")

    def test_folder_for_an_image(self):
        self.assertRaisesLine(bua.Error, lambda: self.ex(self.dir), self.dir, "folder")

    def test_corrupt_image(self):
        corrupt = self.path("corrupt.jpg")
        with open(corrupt, "wb") as f:
            f.write(b"\xff\xd8\xff\xe0 garbage, not a JPEG body")
        self.assertRaisesLine(bua.Error, lambda: self.ex(corrupt), corrupt)
        truncated = self.path("truncated.jpg")
        with open(MESSI, "rb") as src, open(truncated, "wb") as f:
            f.write(src.read()[:5000])
        self.assertRaisesLine(bua.Error, lambda: self.ex(truncated), truncated, "truncated JPEG")
        text = self.path("text.png")
        with open(text, "w") as f:
            f.write("hello")
        self.assertRaisesLine(bua.Error, lambda: self.ex(text), text, "not a decodable image")

    def test_wrong_array_dtype(self):
        pixels = np.zeros((100, 120, 3), np.float32)
        self.assertRaisesLine(bua.Error, lambda: self.ex(pixels), "image array", "uint8", "float32")
        self.assertRaisesLine(bua.Error, lambda: self.ex(pixels.astype(np.int64)), "uint8", "int64")

    def test_wrong_array_shape(self):
        self.assertRaisesLine(bua.Error, lambda: self.ex(np.zeros((100, 120, 4), np.uint8)), "image array",
                              "(100, 120, 4)")
        self.assertRaisesLine(bua.Error, lambda: self.ex(np.zeros(300, np.uint8)), "(300,)")
        self.assertRaisesLine(bua.Error, lambda: self.ex(np.zeros((0, 5, 3), np.uint8)), "empty image")
        self.assertRaisesLine(bua.Error, lambda: self.ex(np.zeros((2, 1000, 3), np.uint8)), "image array",
                              "too small or too elongated")

    def test_not_an_image_at_all(self):
        self.assertRaisesLine(TypeError, lambda: self.ex(42), "expected a path", "int")
        self.assertRaisesLine(TypeError, lambda: self.ex.extract_many([MESSI, 3.5]), "images[1]", "float")

    def test_bad_boxes(self):
        self.assertRaisesLine(bua.Error, lambda: self.ex(MESSI, boxes=[1, 2, 3, 4]), "boxes", "(4,)")
        self.assertRaisesLine(bua.Error, lambda: self.ex(MESSI, boxes=[[10, 10, 5, 20]]), "boxes", "box 0")
        self.assertRaisesLine(bua.Error, lambda: self.ex(MESSI, boxes=[[0, 0, 5, 5], [0, np.nan, 5, 5]]), "box 1")
        self.assertRaisesLine(bua.Error, lambda: self.ex(MESSI, boxes=np.zeros((0, 4))), "boxes", "no boxes")
        self.assertRaisesLine(bua.Error, lambda: self.ex(MESSI, boxes=[["a", "b", "c", "d"]]), "boxes", "numbers")
        self.assertRaisesLine(bua.Error, lambda: self.ex.extract_many([MESSI], boxes=[None, None]), "boxes",
                              "2 entries for 1 images")

    def test_not_a_checkpoint(self):
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.text_file), self.text_file, "checkpoint")
        self.assertRaisesLine(bua.Error, lambda: bua.vocab(self.text_file), self.text_file, "checkpoint")
        missing = self.path("missing.pt")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(missing), missing, "no such file")
        # A checkpoint cut short: its zip directory is gone.
        cut = self.path("cut.pt")
        with open(self.net, "rb") as src, open(cut, "wb") as f:
            f.write(src.read()[:100000])
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(cut), cut)

    def test_bad_options(self):
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, device="gpu"), "--device", "gpu")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, dtype="fp16"), "--dtype", "fp16")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, box_source="best"), "--box-source")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, exif="rotate"), "--exif")
        # Box counts the selection cannot honour: refused when the extractor is made, naming both.
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, min_boxes=50, max_boxes=10), "50", "10")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, conf_thresh=1.5), "--conf-thresh")
        self.assertRaisesLine(bua.Error, lambda: bua.Extractor(self.net, cfg=self.text_file), self.text_file)
        self.assertRaisesLine(bua.Error, lambda: self.ex.extract_many([MESSI], decode_threads=0), "--decode-threads")

    def test_not_a_feature_file(self):
        self.assertRaisesLine(bua.Error, lambda: list(bua.read_features(self.text_file)), self.text_file)
        missing = self.path("missing.tsv")
        self.assertRaisesLine(bua.Error, lambda: list(bua.read_features(missing)), missing)

    def test_the_extractor_still_works_after_errors(self):
        for bad in (lambda: self.ex(self.path("nowhere.jpg")), lambda: self.ex(np.zeros((3, 3, 3), np.float64))):
            with self.assertRaises(bua.Error):
                bad()
        self.assertGreaterEqual(len(self.ex(MESSI)["boxes"]), 10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
