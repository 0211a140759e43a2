"""Test-wide setting: one BLAS thread, as `python -m demos` uses.

The tests' matrices are small; on a busy 2-core machine two BLAS threads
fighting for the cores make the training tests many times slower. Set before
any test module imports NumPy; an explicit setting in the environment wins.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
