"""What a training demo reached, in one line for the tour's summary: loss from → to, accuracy.

A demo that trains checks few of the post's figures (often none), so its row
of verdict counts would be a row of zeros. What it shows is what training
reached; the summary says that instead, read from the values its steps
recorded (``Step.record``), never from the printed text.
"""


def recorded(steps, name):
    """Every value recorded under ``name`` in ``steps``, in order (several steps may record the same name)."""
    return [step.values[name] for step in steps if name in step.values]


def _mlp(steps):
    runs = zip(("tensorgrad", "scalargrad"), recorded(steps, "loss, first and last"), recorded(steps, "accuracy"))
    return "; ".join(
        f"{engine}: loss {first:.3f} → {last:.3f}, accuracy {accuracy:.2f}" for engine, (first, last), accuracy in runs
    )


def _embeddings(steps):
    """Mean cosine within the word groups and between them: random vectors, then trained ones."""
    separations = {
        name.removesuffix(": separation"): value
        for step in steps
        for name, value in step.values.items()
        if name.endswith(": separation")
    }
    trained = list(separations)[-1]  # recorded last: "step 60"
    (within, between, *_), (random_within, random_between, *_) = separations[trained], separations["random"]
    within, between, random_within, random_between = (_signed(x) for x in (within, between, random_within, random_between))
    return f"mean cosine within word groups {random_within} → {within}, between them {random_between} → {between} ({trained})"


def _signed(x):
    """+0.87, −0.33, and +0.00 (not −0.00) for a value that rounds to zero."""
    return f"{round(x, 2) + 0.0:+.2f}"


def _gpt(steps):
    (evals,) = recorded(steps, "(step, train loss, validation loss)")
    (_, _, first), (last_step, _, last) = evals[0], evals[-1]
    (baseline,) = recorded(steps, "unigram baseline")
    return (
        f"validation loss {first:.3f} → {last:.3f} nats per character in {last_step} steps"
        f" (unigram baseline {baseline:.3f})"
    )


def _grpo(steps):
    (run,) = [step.values for step in steps if "held-out accuracy after" in step.values]  # the GRPO run's step
    before, after, count = (run[name] for name in ("held-out accuracy before", "held-out accuracy after", "steps"))
    return f"held-out accuracy {before:.3f} → {after:.3f} in {count} GRPO steps"


READERS = {"mlp": _mlp, "embeddings": _embeddings, "gpt": _gpt, "grpo": _grpo}


def reached(name, steps):
    """One line saying what the training demo ``name`` reached, or "" for a demo that does not train."""
    return READERS[name](steps) if name in READERS else ""
