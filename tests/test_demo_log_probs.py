"""The §5 log-probabilities demo, headless: every claim checked against values computed here with math and NumPy."""

import math

import numpy as np
import pytest
from demo_checks import by_name, check, printed, recorded

from demos import log_probs

TOKEN_PROBS = (0.02, 0.15, 0.08, 0.12, 0.03, 0.22)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("log_probs")
    steps = log_probs.steps(out_dir, fast=True)
    return steps, by_name(steps), out_dir


def cycled(n):
    return [TOKEN_PROBS[i % len(TOKEN_PROBS)] for i in range(n)]


def test_richter(demo):
    _, found, _ = demo
    check(found["amplitude ratio 10^1"], "10", 10.0)
    check(found["energy ratio 10^1.5"], "31.6", 10**1.5)


def test_token_logs_are_exact(demo):
    _, found, _ = demo
    for p, post in zip(TOKEN_PROBS, ("-3.91", "-1.90", "-2.53", "-2.12", "-3.51", "-1.51")):
        check(found[f"log {p:g}"], post, math.log(p))
        assert found[f"log {p:g}"].verdict == "exact"


def test_hundred_tokens_log_sum_is_illustrative_and_the_product_differs_from_it(demo):
    steps, found, _ = demo
    said = recorded(steps, "§5 A 100-token response")
    total = math.fsum(math.log(p) for p in cycled(100))
    claim = found["Σ log p over 100 tokens"]
    assert (claim.post, claim.verdict, claim.engine) == ("-247.3", "illustrative", f"{total:.1f}")
    assert claim.note  # it prints the values recorded here
    assert said["the post's typical token probability"] == pytest.approx(math.exp(-2.473), abs=5e-4)  # 0.1% printed
    product = math.prod(cycled(100))
    claim = found["Π p of the 100 with Σ log p = -247.3"]
    implied = math.exp(-247.3)  # the post's own log-sum, undone: about 4e-108, not 1e-30
    check(claim, "0." + "0" * 29 + "1", implied, tolerance=implied * 0.02)
    assert claim.verdict == "differs" and "e^(-247.3) = 4.0e-108: 107 zeros after the point, not 29" in claim.note
    assert said["Π p"] == pytest.approx(product, rel=1e-9)
    assert said["e^(the post's Σ log p)"] == pytest.approx(implied, rel=1e-12)
    zeros = said["zeros after the point: Π p, the post's, e^(the post's Σ log p)"]
    assert zeros == (-math.floor(math.log10(product)) - 1, 29, -math.floor(math.log10(implied)) - 1)


def first_underflow(dtype):
    """(tokens until below the smallest normal, tokens until exactly 0.0, Σ log p then), by NumPy scalars."""
    product, below = np.array(1.0, dtype=dtype), None
    for n, p in enumerate(cycled(1000), start=1):
        product = product * np.array(p, dtype=dtype)
        if below is None and product < np.finfo(dtype).tiny:
            below = n
        if product == 0:
            return below, n, math.fsum(math.log(q) for q in cycled(n))
    raise AssertionError("no underflow")


def test_underflow_token_counts(demo):
    steps, _, _ = demo
    said = recorded(steps, "§5 Underflow")
    for dtype in ("float64", "float32"):
        below, zero, log_sum = first_underflow(dtype)
        zero_at, sum_there = said[f"{dtype}: tokens until exactly 0.0, and the sum of logs there"]
        assert (said[f"{dtype}: tokens until below the smallest normal number"], zero_at) == (below, zero)
        assert sum_there == pytest.approx(log_sum, abs=0.06)  # float32 adds its logs in float32
    assert first_underflow("float32")[1] < 50 and first_underflow("float64")[1] > 250  # dozens vs hundreds


def test_log_curve(demo):
    _, found, _ = demo
    for p, post in (("0.01", "-4.6"), ("0.1", "-2.3"), ("0.5", "-0.69"), ("1.0", "0")):
        check(found[f"log {p}"], post, math.log(float(p)))
    check(found["log 1.0 − log 0.5"], "0.69", math.log(2))
    check(found["log 0.1 − log 0.01"], "2.3", math.log(10))


def test_chain_rule_and_readings(demo):
    steps, found, _ = demo
    check(found["90% + 80% + 70%"], "240", 240.0)
    check(found["0.9 × 0.8 × 0.7"], "0.504", 0.9 * 0.8 * 0.7)
    check(found["0.02 × 0.15 × 0.08"], "0.00024", 0.02 * 0.15 * 0.08)
    exact = math.log(0.02) + math.log(0.15) + math.log(0.08)
    check(found["log 0.02 + log 0.15 + log 0.08"], "-8.34", exact)
    assert found["log 0.02 + log 0.15 + log 0.08"].verdict == "rounded"  # -8.3349 shows as -8.33
    rounded = sum(round(math.log(p), 2) for p in (0.02, 0.15, 0.08))
    added = recorded(steps, "§5 Why a sequence")["the post's rounded logs added"]
    assert added == pytest.approx(rounded, abs=1e-12) and f"{rounded:.2f}" == "-8.34"
    check(found["log-prob -0.1 → probability"], "90", 100 * math.exp(-0.1))
    check(found["log-prob -4.6 → probability"], "1", 100 * math.exp(-4.6))


def test_fused_log_softmax_stays_finite(demo):
    steps, _, _ = demo
    said = recorded(steps, "§5 Why frameworks fuse")
    dtypes = list(log_probs.EXTREME_LOGITS)
    assert len(dtypes) == 2 and len(said) == 4 * len(dtypes)
    for dtype in dtypes:
        assert said[f"{dtype}: log(softmax) in tensorgrad"].startswith("ValueError")
        assert list(said[f"{dtype}: log(softmax) in plain NumPy"]) == [0.0, -np.inf]
    for gap, dtype in zip((1000.0, 120.0), dtypes):
        # log softmax of [0, -gap] is [-log(1 + e^-gap), -gap - log(1 + e^-gap)]; the gradient of
        # log p[1] is onehot(1) − softmax(z) = [-p0, 1 - p1], i.e. [-1, 1] once e^-gap rounds away.
        log_p = [-math.log1p(math.exp(-gap)), -gap - math.log1p(math.exp(-gap))]
        p1 = math.exp(log_p[1])
        values = [*said[f"{dtype}: F.log_softmax"], *said[f"{dtype}: gradient of log p[1]"]]
        assert values == pytest.approx([*log_p, -(1 - p1), 1 - p1], abs=1e-12)


def test_picture_and_rendering(demo):
    steps, _, out_dir = demo
    path = out_dir / log_probs.CURVE_PNG
    assert path.read_bytes().startswith(b"\x89PNG") and 1000 < path.stat().st_size < 150_000
    assert [p for step in steps for p, _ in step.pictures] == [path]
    lines = printed(steps).splitlines()
    assert all(len(line) <= 110 for line in lines if "picture:" not in line)
