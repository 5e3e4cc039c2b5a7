"""The network runs without the GIL, so other Python threads keep running; Ctrl-C stops extract_many between
images. Both are shown by counts, not clocks: with a switch interval far longer than the test, a thread that
holds the GIL is never preempted, so the counter of the other thread can only advance where the GIL is released."""
import signal
import subprocess
import sys
import threading
import time
import unittest

import bua
from bua_test_support import MESSI, ReferenceNetCase


class GilIsReleased(ReferenceNetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ex = bua.Extractor(cls.net, cfg=cls.cfg)

    def count_while(self, work):
        """How often this thread advanced a counter while another ran work(). That thread keeps the GIL except
        where work() releases it; this one yields (sleep(0)) after each step so the other can take it back."""
        started, done = threading.Event(), threading.Event()
        result = {}

        def run():
            started.set()
            result["value"] = work()
            done.set()

        previous = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        try:
            thread = threading.Thread(target=run)
            thread.start()
            started.wait()
            count = 0
            while not done.is_set():
                count += 1
                time.sleep(0)  # releases the GIL: the worker may take it back to finish
            thread.join()
        finally:
            sys.setswitchinterval(previous)
        return count, result["value"]

    def test_a_python_thread_runs_while_an_image_is_extracted(self):
        count, record = self.count_while(lambda: self.ex(MESSI))
        self.assertGreaterEqual(len(record["boxes"]), 10)
        self.assertGreater(count, 0, "no Python ran during the extraction: the GIL was held")

    def test_a_python_thread_runs_while_extract_many_works(self):
        count, records = self.count_while(lambda: list(self.ex.extract_many([MESSI] * 3, batch_images=2)))
        self.assertEqual(len(records), 3)
        self.assertGreater(count, 0, "no Python ran during extract_many: the GIL was held")

    def test_holding_the_gil_would_show(self):
        # The same measure on work that keeps the GIL (a pure-Python loop) counts nothing: the test can fail.
        count, _ = self.count_while(lambda: sum(i * i for i in range(2_000_000)))
        self.assertEqual(count, 0)


# Run in a child process: iterates extract_many inside list.extend (a C loop, no Python code between images)
# and reports how many records it had when KeyboardInterrupt came.
CHILD = r"""
import signal
import sys
import bua
signal.signal(signal.SIGINT, signal.default_int_handler)  # even where the parent ignores SIGINT
net, cfg, image, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
it = bua.Extractor(net, cfg=cfg).extract_many([image] * n, batch_images=1, decode_threads=1)
records = [next(it)]
try:  # a signal that comes before extend() starts is caught too
    print("started", flush=True)
    records.extend(it)
    print("finished", len(records), flush=True)
except KeyboardInterrupt:
    print("interrupted", len(records), flush=True)
"""


class CtrlCStopsBetweenImages(ReferenceNetCase):
    def test_sigint_stops_extract_many(self):
        n = 40
        child = subprocess.Popen([sys.executable, "-c", CHILD, self.net, self.cfg, MESSI, str(n)],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Lines a library may print first (a CPU or NumPy warning) are kept for the message, not taken as failure.
        before = []
        for line in child.stdout:
            if line.strip() == "started":
                break
            before.append(line)
        else:
            self.fail("the child ended before it started extracting:\n" + "".join(before))
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=300)
        out = "".join(before) + out
        words = out.split()
        self.assertEqual(child.returncode, 0, out)
        self.assertIn("interrupted", words, out)
        got = int(words[words.index("interrupted") + 1])
        self.assertLess(got, n, out)  # stopped before the end, where the image loop checks for signals


if __name__ == "__main__":
    unittest.main(verbosity=2)
