"""Tests for tensorgrad.memory: importing tensorgrad keeps freed memory on glibc, the opt-out works, results do not change.

Each check runs in a fresh Python process: the setting is process-wide and
made once, at import, so only a new process can show it both on and off.
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting exists on glibc only")

ROOT = Path(__file__).resolve().parent.parent

# Four 8 MB arrays made and freed 20 times. With glibc's defaults the freed top of
# the heap goes back to the kernel, so every round page-faults ~8,000 pages in
# again; with freed memory kept, the pages are reused and no fault happens.
# Then a small GPT's loss and gradient, to show the setting changes no number.
CHILD = """
import json, resource
import numpy as np
import tensorgrad
from tensorgrad.transformer import GPT

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

for _ in range(3):
    arrays = [np.ones(1_000_000) for _ in range(4)]
    del arrays
start = faults()
for _ in range(20):
    arrays = [np.ones(1_000_000) for _ in range(4)]
    del arrays
faults_per_round = (faults() - start) / 20

model = GPT(13, 8, 16, 2, 1, rng=0)
ids = np.arange(16).reshape(2, 8) % 13
loss = model.loss(ids, (ids + 1) % 13)
loss.backward()
numbers = [loss.item()] + [float(abs(p.grad).sum()) for p in model.parameters()]
print(json.dumps({"kept": tensorgrad.memory.keeps_freed_memory(), "faults": faults_per_round, "numbers": numbers}))
"""


def child(**env):
    """Run CHILD in a new process with ``env`` added to the environment; return what it printed."""
    environment = {name: value for name, value in os.environ.items() if name != "TENSORGRAD_KEEP_FREED_MEMORY"}
    environment.update(PYTHONPATH=str(ROOT), **env)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout)


def test_importing_tensorgrad_keeps_freed_memory_and_the_opt_out_leaves_glibc_alone():
    kept = child()
    default = child(TENSORGRAD_KEEP_FREED_MEMORY="0")
    assert kept["kept"] is True
    assert default["kept"] is False
    assert kept["faults"] < 100, kept["faults"]  # the freed pages were reused
    assert default["faults"] > 1000, default["faults"]  # glibc's defaults page-fault them in again


def test_keeping_freed_memory_changes_no_result():
    assert child()["numbers"] == child(TENSORGRAD_KEEP_FREED_MEMORY="0")["numbers"]
