"""What the Python tests share: the reduced reference network as a checkpoint, the built tools, and writers
for lossless test images. The paths come from CTest's environment (tests/python/CMakeLists.txt)."""
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

import numpy as np

# As in tests/test_support.h: a suite run inside a torchrun or Slurm job must not make the tools join it.
for _name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
              "SLURM_NTASKS", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT"):
    os.environ.pop(_name, None)

BIN_DIR = os.environ["BUA_BIN_DIR"]
TEST_DATA = os.environ["BUA_TEST_DATA"]
SOURCE_DIR = os.environ["BUA_SOURCE_DIR"]
CAFFE = os.path.join(TEST_DATA, "caffe")
MESSI = os.path.join(CAFFE, "messi5.jpg")

# The reference run's config (tests/data/caffe/run.json): TEST.SCALES [400], TEST.MAX_SIZE 700.
REFERENCE_CFG = "TEST:\n  SCALES: [400]\n  MAX_SIZE: 700\n"


def run_tool(tool, *args):
    """Runs build/bin/<tool>; fails the calling test with the tool's output when it exits non-zero."""
    r = subprocess.run([os.path.join(BIN_DIR, tool), *map(str, args)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise AssertionError(f"{tool} {' '.join(map(str, args))} exited {r.returncode}:\n{r.stdout}")
    return r.stdout


def write_png_grey(path, grey):
    """An 8-bit greyscale PNG of a [H,W] uint8 array (lossless, so decoding gives the array back)."""
    h, w = grey.shape
    raw = b"".join(b"\x00" + grey[y].tobytes() for y in range(h))  # filter type 0 per row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_bmp(path, bgr):
    """A 24-bit BMP of a [H,W,3] uint8 B, G, R array (rows bottom-up, each padded to 4 bytes)."""
    h, w, _ = bgr.shape
    pad = (4 - (w * 3) % 4) % 4
    rows = b"".join(bgr[y].tobytes() + b"\x00" * pad for y in range(h - 1, -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(rows), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(rows), 2835, 2835, 0, 0)
    with open(path, "wb") as f:
        f.write(header + info + rows)


def read_npz_dir(path):
    """generate_tsv --format npz output, read with numpy alone: image id -> {member: array}."""
    out = {}
    for name in sorted(os.listdir(path)):
        if name.endswith(".npz"):
            with np.load(os.path.join(path, name), allow_pickle=False) as z:
                out[name[:-4]] = {k: z[k] for k in z.files}
    return out


class ReferenceNetCase(unittest.TestCase):
    """A temporary folder with the reduced reference network imported from tests/data/caffe, and its config."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bua_python_")
        cls.net = os.path.join(cls.dir, "reduced.pt")
        run_tool("import_caffemodel", "--caffemodel", os.path.join(CAFFE, "weights.caffemodel"),
                 "--arch", os.path.join(SOURCE_DIR, "configs", "reduced_caffe_ref.yml"),
                 "--objects-vocab", os.path.join(CAFFE, "objects_vocab.txt"),
                 "--attributes-vocab", os.path.join(CAFFE, "attributes_vocab.txt"), "--out", cls.net)
        cls.cfg = os.path.join(cls.dir, "reference.yml")
        with open(cls.cfg, "w") as f:
            f.write(REFERENCE_CFG)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def path(cls, *parts):
        return os.path.join(cls.dir, *parts)

    @classmethod
    def generate(cls, out, *args):
        """generate_tsv on the reference network with the reference config."""
        return run_tool("generate_tsv", "--net", cls.net, "--cfg", cls.cfg, "--out", out, *args)

    def assertBitwiseEqual(self, got, want, what):
        got, want = np.asarray(got), np.asarray(want)
        self.assertEqual(got.dtype, want.dtype, what)
        self.assertEqual(got.shape, want.shape, what)
        self.assertEqual(got.tobytes(), want.tobytes(), f"{what}: values differ")

    def assertRecordMatchesNpz(self, record, npz, what):
        """A record dict of bua against a .npz of generate_tsv: every array bit for bit, the sizes equal."""
        self.assertBitwiseEqual(record["features"], npz["x"], what + " features")
        self.assertBitwiseEqual(record["boxes"], npz["bbox"], what + " boxes")
        for key in ("objects_id", "objects_conf", "attrs_id", "attrs_conf"):
            self.assertBitwiseEqual(record[key], npz[key], f"{what} {key}")
        self.assertEqual(record["image_h"], int(npz["image_h"]), what)
        self.assertEqual(record["image_w"], int(npz["image_w"]), what)
        self.assertEqual(len(record["boxes"]), int(npz["num_bbox"]), what)
