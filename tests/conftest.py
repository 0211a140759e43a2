"""Test-wide setting: one BLAS thread, as `python -m demos` uses.

The tests' matrices are small; on a busy 2-core machine two BLAS threads
fighting for the cores make the training tests many times slower. Set before
any test module imports NumPy; an explicit setting in the environment wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest

from demos import catalog


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``demo_run(name)``: the demo's steps at the tour's size and its output folder, run once per test session.

    The demo tests and the notebook tests read the same runs: the training demos take seconds each.
    """
    runs = {}

    def run(name):
        if name not in runs:
            out_dir = tmp_path_factory.mktemp(name)
            runs[name] = (catalog.load(name).steps(out_dir, fast=True), out_dir)
        return runs[name]

    return run
