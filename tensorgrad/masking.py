"""Masked positions: −inf is a value a tensor may hold, NaN and +inf are not (§7, §13).

A token cut by top-k, or a key a query may not see, gets the logit −inf:
e^−inf = 0, so softmax gives it probability exactly 0, as PyTorch does
(softmax([−inf, 0]) = [0, 1]). The rule, in full:

- **Where −inf enters.** ``Tensor(...)`` (and so every constant, and
  ``where(mask, x, -np.inf)``) accepts −inf in float data and marks the
  tensor *masked*; NaN and +inf are refused there, naming the first.
- **It never turns into NaN unnoticed.** An op given a masked input has its
  output checked (``checked_output``): a NaN (−inf·0, −inf − (−inf)) or a
  +inf (−(−inf)) there is an error naming the op; the output is masked
  again if it still holds −inf. An op with no masked input pays nothing for
  this (one flag read per input), so unmasked training runs as fast as before.
- **The ops made for masked logits give PyTorch's answers**: softmax,
  log_softmax, cross_entropy, nll_loss, entropy(logits=), logsumexp,
  attention (a boolean mask, or a float one of 0 and −inf) and sampling;
  kl_divergence too, with 0·log 0 = 0 where PyTorch's formula gives NaN.
  A masked entry gets gradient 0.
- **No answer, no number.** A row whose every entry is −inf has no
  distribution, and a target whose logit is −inf has loss +inf: both are
  errors naming the op and the row, never a NaN or an inf returned in silence.
"""

import numpy as np

from tensorgrad.anomaly import first_index


def entering(array, where="Tensor", found="data contains", hint="only −inf may enter a tensor, as a masked position"):
    """Whether ``array`` holds −inf (a masked position); NaN or +inf in it is a ValueError naming ``where``
    (``found`` and ``hint`` word it for what the array is, e.g. "logits contain").

    One ``isfinite`` pass for ordinary data; the rest only when something is not finite.
    """
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return False
    bad = _nan_or_plus_inf(array)
    if bad is not None:
        index = first_index(bad)
        what = "NaN" if np.isnan(array[index]) else "+infinity"
        raise ValueError(f"{where}: {found} {what} ({int(bad.sum())} of them, the first at index {index}); {hint}")
    return True


def checked_output(out, op_name, inputs):
    """Whether an op's output (one of its inputs was masked) still holds −inf; NaN or +inf in it is an error."""
    if out.dtype.kind != "f" or np.isfinite(out).all():
        return False
    bad = _nan_or_plus_inf(out)
    if bad is not None:
        index = first_index(bad)
        shapes = ", ".join(str(np.shape(a)) for a in inputs)
        raise FloatingPointError(
            f"{op_name}: an input holds −inf (a masked position) and the result is {out[index]} at index {index} "
            f"(input shapes {shapes}): −inf·0, −inf − (−inf), −(−inf) and a reduction over nothing but −inf have "
            "no finite answer. Apply the op before masking, or mask after it with where(mask, x, 0.0)"
        )
    return True


def _nan_or_plus_inf(array):
    """Where a float array that is not all finite holds NaN or +inf (a mask), or None if all it holds is −inf."""
    bad = np.isnan(array) | (array == np.inf)
    return bad if bad.any() else None


def refuse_rows_without_answer(top, axis, where, entry="entry"):
    """``top`` is a max along ``axis`` (keepdims): it is finite in every row unless the row holds NaN or +inf,
    or every ``entry`` of it is −inf (all masked). Any of those is a ValueError naming ``where`` and the row."""
    if np.isfinite(top).all():  # the usual case: one look at one number per row
        return
    index = first_index(~np.isfinite(top))
    value = top[index]
    row = tuple(i for k, i in enumerate(index) if k != axis % top.ndim)
    along = "" if axis % top.ndim == top.ndim - 1 else f" (along axis {axis % top.ndim})"
    if value == -np.inf:
        raise ValueError(f"{where}: every {entry} of row {row}{along} is −inf (all masked), so it has no distribution; "
                         "leave at least one entry of every row unmasked")
    raise ValueError(f"{where}: row {row}{along} holds {'NaN' if np.isnan(value) else '+inf'}, which has no "
                     "probability; look for an overflow earlier in the model (a step size too large?)")
