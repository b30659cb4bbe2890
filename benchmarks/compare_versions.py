"""Did a change make nnlib slower? Epoch times of this nnlib against nnlib at an earlier commit.

    python benchmarks/compare_versions.py be5e75f                  # momentum, Adam and RMSProp
    python benchmarks/compare_versions.py HEAD~3 --optimizers adam --repeats 21

The earlier nnlib is taken from git (``git archive REV nnlib``) into a temporary folder and
imported under another name, so both run in one process, on the same data, model and seeds as
benchmarks/benchmark.py (float32, one BLAS thread, batch 32 unless told). Each repeat runs both,
in turn, so that a slow moment of the machine hits both alike, and each epoch is timed in CPU
time (``time.process_time``): time the machine gives to other programs does not count. Prints,
per optimizer, the median epoch of each and the median and quartiles of the paired ratios
(this epoch / earlier epoch, repeat by repeat).

A measurement, not a test: nothing here asserts.
"""
import argparse
import importlib
import io
import pathlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import numpy as np
from threadpoolctl import threadpool_limits

import nnlib
from benchmark import make_data, nnlib_contender

ROOT = pathlib.Path(__file__).resolve().parent.parent
# benchmark.py's optimizers, by class name, so that either version of nnlib can build them.
SAME_AS_BENCHMARK = {"sgd": ("GradientDescent", dict(learning_rate=0.01, momentum=0.9)),
                     "adagrad": ("AdaGrad", dict(learning_rate=0.01)),
                     "rmsprop": ("RMSProp", dict(learning_rate=0.001)),
                     "adam": ("Adam", dict(learning_rate=0.001))}


def nnlib_at(rev, folder):
    """Import nnlib as it was at ``rev``, as a package named ``nnlib_at_rev``."""
    archive = subprocess.run(["git", "archive", rev, "nnlib"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (pathlib.Path(folder) / "nnlib").rename(pathlib.Path(folder) / "nnlib_at_rev")
    sys.path.insert(0, str(folder))
    return importlib.import_module("nnlib_at_rev")  # relative imports inside keep working


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the earlier commit, e.g. be5e75f or HEAD~1")
    parser.add_argument("--optimizers", nargs="+", default=["sgd", "adam", "rmsprop"], choices=SAME_AS_BENCHMARK)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    X, y = make_data()
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(1):
        earlier = nnlib_at(args.rev, folder)
        print(f"batch {args.batch_size}, float32, 1 BLAS thread, {args.repeats} repeats; "
              f"CPU ms per epoch of {len(X):,} samples")
        for name in args.optimizers:
            class_name, kwargs = SAME_AS_BENCHMARK[name]

            def make(lib, class_name=class_name, kwargs=kwargs):  # from either version of nnlib
                return getattr(lib, class_name)(**kwargs)

            runs = {name: nnlib_contender(np.float32, lambda lib=lib: make(lib), X, y,
                                          args.batch_size, lib=lib)
                    for name, lib in (("earlier", earlier), ("now", nnlib))}
            times = {key: [] for key in runs}
            for run in runs.values():
                run()  # warm-up: buffers, caches
            for _ in range(args.repeats):
                for key, run in runs.items():
                    start = time.process_time()
                    run()
                    times[key].append(time.process_time() - start)
            ratios = [now / before for now, before in zip(times["now"], times["earlier"])]
            low, median, high = statistics.quantiles(ratios, n=4)
            print(f"{name:8s} earlier {1e3 * statistics.median(times['earlier']):6.1f}  "
                  f"now {1e3 * statistics.median(times['now']):6.1f}  "
                  f"ratio now/earlier {median:.3f} (quartiles {low:.3f}-{high:.3f})")


if __name__ == "__main__":
    main()
