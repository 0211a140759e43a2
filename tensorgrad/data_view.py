"""DataView: what ``t.data`` and ``t.numpy()`` hand out, so that no write can spoil a saved array unseen.

A graph keeps the arrays its ops saved (an input of ``x * x``, the output of
``exp``) until ``backward()`` reads them. If the user could change one in
between, the gradient would be computed from the wrong numbers, with no error.
So a tensor never hands out its own array, but a read-only view of it, a
DataView, on which

* the writes people make (``t.data[0] = 5``, ``t.data -= lr * g``, ``fill``,
  ``sort``, ``np.copyto``, any NumPy function writing through ``out=`` or
  ``np.add.at``) do happen, and count as a new version of the tensor: a
  backward pass that saved the old values then raises, naming the op and the
  tensor (``autograd.check_versions``);
* any other write (``np.random.shuffle``, ``out=`` of a function that is not
  a ufunc) is refused by NumPy ("assignment destination is read-only" or
  "array is read-only"), because the view is read-only.

A DataView computes like the ndarray it is; results of arithmetic on it are
plain ndarrays (``__array_ufunc__``), a copy is ownerless, and it prints as
``array(...)``. A slice of it is a DataView too, counted on the same tensor.
"""

import contextlib

import numpy as np


def _counted_method(name, values_at=None):
    """The ndarray method ``name``, which writes into the array, as a counted write; its argument number
    ``values_at`` holds the numbers it writes (None: look at the whole array afterwards)."""

    def method(self, *args, **kwargs):
        written = None if values_at is None or len(args) <= values_at else args[values_at]
        with _counted_writes([self], written) as writable:
            return getattr(writable.get(id(self), _plain(self)), name)(*args, **kwargs)

    method.__name__ = name
    return method


class DataView(np.ndarray):
    """A read-only view of a tensor's array whose in-place writes are counted on the tensor (``owner``)."""

    owner = None  # the Tensor whose array this is a view of; None for a copy

    def __array_finalize__(self, source):
        """A view of a DataView (a slice, a reshape) keeps its owner; a new array (a copy) has none. (A write
        checks again that the memory is the owner's.)"""
        self.owner = getattr(source, "owner", None) if self.base is not None else None

    def __repr__(self):
        return repr(self.view(np.ndarray))

    # the ndarray methods that write into the array, as counted writes
    __setitem__ = _counted_method("__setitem__", values_at=1)
    fill = _counted_method("fill", values_at=0)
    sort = _counted_method("sort")
    partition = _counted_method("partition")
    put = _counted_method("put", values_at=1)

    def __array_function__(self, function, types, args, kwargs):
        """``np.copyto(t.data, ...)`` and NumPy's other writers into their first argument: a counted write."""
        if function in WRITERS and args and isinstance(args[0], DataView):
            with _counted_writes(args[:1]) as writable:
                return function(writable.get(id(args[0]), _plain(args[0])), *args[1:], **kwargs)
        return super().__array_function__(function, types, args, kwargs)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **settings):
        """Compute on plain arrays; a DataView written to (``out=``, ``+=``, ``np.add.at``) counts a version."""
        written = (inputs[0],) if method == "at" else (out or ())
        with _counted_writes(written) as writable:
            inputs = tuple(writable.get(id(x), _plain(x)) for x in inputs)
            if out is not None:
                settings["out"] = tuple(writable.get(id(x), _plain(x)) for x in out)
            result = getattr(ufunc, method)(*inputs, **settings)
        if out is None:
            return result
        return out[0] if len(out) == 1 else out


WRITERS = {np.copyto, np.put, np.putmask, np.place, np.put_along_axis, np.fill_diagonal}


def _plain(x):
    """A DataView as the plain ndarray view it is (read-only); anything else as it is."""
    return x.view(np.ndarray) if isinstance(x, DataView) else x


@contextlib.contextmanager
def _counted_writes(arrays, written=None):
    """Yield {id(view): a writable plain view of its memory} for the DataViews among ``arrays`` that have
    an owner; once the block has written through them, count a new version on each owner (and look at
    what was written, the numbers ``written`` or else the whole view: ``Node.written``).

    A DataView without an owner (a copy) is left out: it is written as NumPy would, refused if read-only.
    The owner's own array is writable (the tensor's ops never write to it), so a writable view of it can
    be made, unless NumPy made that array read-only (a ``broadcast_to`` view): then the write is refused.
    """
    writable, owners = {}, []
    for view in arrays:
        owner = getattr(view, "owner", None)
        if owner is None or not np.may_share_memory(view, owner._data):
            continue
        if not owner._data.flags.writeable:
            raise ValueError(
                f"write to the data of tensor {describe(owner)}: its array is read-only in NumPy (a broadcast_to "
                "view, or attention weights handed out to look at); write to a copy, Tensor(t.data)"
            )
        view.flags.writeable = True
        try:
            writable[id(view)] = view.view(np.ndarray)
        finally:
            view.flags.writeable = False
        owners.append((owner, writable[id(view)] if written is None else written))
    yield writable
    for owner, values in owners:
        owner.written(f"write to the data of tensor {describe(owner)}", values)


def describe(tensor):
    """A tensor as an error message names it: its label if it has one, else its shape."""
    return f"{tensor.label!r} of shape {tensor.shape}" if tensor.label is not None else f"of shape {tensor.shape}"
