"""The tour's table of contents: the post's five parts, and the demo for each of its concepts.

Each name is a module of ``demos`` with a one-line ``TITLE`` and
``steps(out_dir, fast=False)``. The order is the post's; the demos a section
of the post gets beyond its concept (``mlp``, ``gpt``, ``grpo``) train a model
on what the concepts before them built.
"""

import importlib

PARTS = (
    ("Part 1 · The Foundation", ("probability", "expected_value", "large_numbers")),
    ("Part 2 · The LLM Machinery", ("softmax", "log_probs", "temperature", "sampling", "entropy")),
    ("Part 3 · How Models Learn", ("cross_entropy", "gradient_descent", "backprop", "mlp", "norms")),
    ("Part 4 · The Transformer", ("dot_products", "attention", "embeddings", "gpt")),
    ("Part 5 · The RL Math", ("kl", "reinforce", "baselines", "clipping", "grpo")),
)
NAMES = tuple(name for _, names in PARTS for name in names)
TRAINING = ("mlp", "embeddings", "gpt", "grpo")  # the demos --fast shrinks; the tour runs them at that size too


def command_name(name):
    """The name typed on the command line: ``expected-value`` for the module ``expected_value``."""
    return name.replace("_", "-")


def module_name(typed):
    """The module for a name typed either way (``expected-value`` or ``expected_value``)."""
    name = typed.replace("-", "_")
    if name not in NAMES:
        choices = ", ".join(command_name(n) for n in NAMES)
        raise ValueError(f"no demo called {typed!r}; the demos are: {choices}, and tour")
    return name


def next_after(name):
    """The demo that follows ``name`` in the post's order, or None after the last."""
    i = NAMES.index(module_name(name))
    return NAMES[i + 1] if i + 1 < len(NAMES) else None


def load(name):
    """The demo module ``name`` (imported on first use: listing stays quick)."""
    return importlib.import_module(f"demos.{module_name(name)}")
