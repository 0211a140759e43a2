"""Tensor: scalargrad's Value with an array in every node.

The graph is the same: each node remembers its parents and the op that made
it, and ``backward()`` runs the chain rule back from it (the one loop in
``scalargrad.graph``, driven by ``tensorgrad.autograd``). What changes is the
local derivative. For arrays it is a Jacobian matrix, far too big to build,
so each op instead writes its *vector-Jacobian product*: given the gradient
``g`` of the loss with respect to its output, it returns the gradient with
respect to each input. For ``out = a * b`` that is ``(g * b, g * a)``:
scalargrad's ``upstream × local``, elementwise. The elementwise ops take
their local derivatives from the same table as scalargrad's
(``scalargrad.elementwise``).

Broadcasting (``(3, 4) + (4,)``) is undone in exactly one place: the walk
sums each input's gradient back to that input's shape (``unbroadcast``), so no
op has to think about it.

Saved arrays are plain NumPy arrays, never Tensors, so graphs hold no cycles.
The graph owns what it saved: a Tensor copies its array (``from_numpy`` does
not), ``.data`` hands out a ``DataView`` whose writes count as a new version,
and a write to an array a pending backward saved is reported at backward.
"""


import weakref

import numpy as np

from scalargrad import elementwise as ew
from tensorgrad import autograd, masking, ops
from tensorgrad.data_view import DataView
from tensorgrad.function import (
    FLOAT_DTYPES,
    Function,
    Node,
    Version,
    constant_node,
    is_grad_enabled,
    no_grad,
)

__all__ = ["Function", "Tensor", "constant", "from_numpy", "is_grad_enabled", "no_grad", "tensor"]

FLOAT64 = np.dtype(np.float64)


def _comparison(ufunc, symbol):
    """The method ``a symbol b``: entrywise, a boolean Tensor outside the graph; NotImplemented for what is
    no number (so ``t == None`` falls back to identity, as Python does)."""

    def compare(a, b):
        if not isinstance(b, (Tensor, int, float, np.ndarray, np.generic, list, tuple)):
            return NotImplemented
        other = b._data if isinstance(b, Tensor) else np.asarray(b)
        if other.dtype.kind not in "fiub":
            return NotImplemented
        try:
            return Tensor.from_op(ufunc(a._data, other))
        except ValueError:
            raise ValueError(f"{symbol}: shapes {a.shape} and {other.shape} do not broadcast together") from None

    return compare


# ---- the Tensor ------------------------------------------------------------------------
class Tensor(Node):
    """An array that remembers how it was computed.

    ``data`` is the NumPy array, ``grad`` its gradient (an array of the same
    shape, or None before any backward pass), ``op`` the Function that made it
    (None for a leaf) and ``_parents`` its inputs. ``Tensor(data)`` copies ``data``, as ``torch.tensor``
    does; ``copy=False`` is ``from_numpy(data)``, the zero-copy path.
    """

    __slots__ = ()
    __array_ufunc__ = None  # numpy_array * tensor calls Tensor.__rmul__; np.exp(tensor) is refused (use tensor.exp())

    def __init__(self, data, requires_grad=False, dtype=None, label=None, copy=True):
        self._data = _as_array(data, dtype, copy)
        self._view = None
        if requires_grad and self._data.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"Tensor: only float32/float64 tensors can require grad, got dtype {self._data.dtype}"
            )
        self._requires_grad = bool(requires_grad)
        self.grad = None
        self.label = label
        self.op = None
        self._in = None
        self._walk = None
        self._ctx = None
        self._version = Version()
        self._retains_grad = False
        self._masked = masking.entering(self._data)  # −inf is a masked position; NaN and +inf are refused

    @property
    def data(self):
        """The array as a read-only ``DataView``: ``t.data[i] = v``, ``t.data -= step``, ``fill``, ``np.copyto``…
        write and count a new version (a pending backward that saved the old values raises)."""
        view = self._view and self._view()  # held weakly: the view holds its owner, the owner must not hold it
        if view is None:
            view = np.asarray(self._data).view(DataView)  # asarray: some ops give a NumPy scalar
            view.owner = self
            view.flags.writeable = False
            self._view = weakref.ref(view)
        return view

    @data.setter
    def data(self, value):
        """Replace the array (``t.data = new``, a copy of ``new``) or update it in place (``t.data -= step``).
        Either way the version goes up; a pending backward that saved the old array in place raises."""
        if self._view is not None and value is self._view():  # ``t.data -= step``: written through it, counted
            return
        value = _as_array(value, self._data.dtype, copy=True)
        if value.shape != self._data.shape:
            raise ValueError(f"Tensor.data: new shape {value.shape} differs from {self._data.shape}")
        self._masked = masking.entering(value, "Tensor.data")
        self._data, self._view = value, None
        self._version.count += 1

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)

    def __len__(self):
        return len(self._data)

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(
                f"bool: a tensor of shape {self.shape} has no single truth value; ask (t == 0).data.any() or .all()"
            )
        return bool(self._data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        label = f", label={self.label!r}" if self.label is not None else ""
        body = np.array2string(self._data, precision=4, separator=", ", threshold=20)
        return f"Tensor({body}, dtype={self._data.dtype}{grad}{label})"

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor has an item, this one has shape {self.shape}")
        return self._data.item()

    def numpy(self):
        """The array, as ``data`` gives it: a read-only view whose writes count as a new version."""
        return self.data

    def detach(self):
        """The same array, cut off from the graph (and sharing its version counter)."""
        out = Tensor.from_op(self._data)
        out._version, out._masked = self._version, self._masked
        return out

    def retain_grad(self):
        """Keep this intermediate tensor's ``.grad`` after backward (leaves always keep theirs)."""
        self._retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    def __setitem__(self, index, value):
        """An in-place write: allowed outside the graph only, and counted as a new version."""
        self.refuse_in_place("setitem", value)
        value = _as_array(value._data if isinstance(value, Tensor) else value, self.dtype, copy=False)
        self._data[_index_array(index)] = value  # a number beyond the dtype's range was refused above
        self.written("setitem", value)

    # ---- arithmetic: Python operators, with numbers or arrays on either side ----
    def __add__(self, other):
        return ops.from_table(ew.add).apply(self, other)

    def __radd__(self, other):
        return ops.from_table(ew.add).apply(other, self)

    def __sub__(self, other):
        return ops.from_table(ew.sub).apply(self, other)

    def __rsub__(self, other):
        return ops.from_table(ew.sub).apply(other, self)

    def __mul__(self, other):
        return ops.from_table(ew.mul).apply(self, other)

    def __rmul__(self, other):
        return ops.from_table(ew.mul).apply(other, self)

    def __truediv__(self, other):
        return ops.from_table(ew.div).apply(self, other)

    def __rtruediv__(self, other):
        return ops.from_table(ew.div).apply(other, self)

    def __neg__(self):
        return ops.from_table(ew.neg).apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return ops.from_table(ew.power_of_variables).apply(self, exponent)
        if not isinstance(exponent, (int, float, np.integer, np.floating)) or isinstance(exponent, bool):
            raise TypeError(f"pow: the exponent must be a number or a Tensor, got {type(exponent).__name__}")
        return ops.from_table(ew.power).apply(self, float(exponent))

    def __rpow__(self, base):
        return ops.from_table(ew.power_of_variables).apply(base, self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(other, self)

    def __getitem__(self, index):
        index = _index_array(index)
        return (ops.Slice if ops.is_basic(index) else ops.Select).apply(self, index=index)

    # ---- comparisons: entrywise, boolean tensors without a gradient (NumPy's and PyTorch's meaning) ----
    __eq__ = _comparison(np.equal, "==")
    __ne__ = _comparison(np.not_equal, "!=")
    __lt__ = _comparison(np.less, "<")
    __le__ = _comparison(np.less_equal, "<=")
    __gt__ = _comparison(np.greater, ">")
    __ge__ = _comparison(np.greater_equal, ">=")
    __hash__ = object.__hash__  # by identity, as graphs keep tensors in dicts and sets

    # ---- elementwise functions ----------------------------------------------------------
    def exp(self):
        return ops.from_table(ew.exponential).apply(self)

    def log(self):
        return ops.from_table(ew.logarithm).apply(self)

    def sqrt(self):
        return ops.from_table(ew.square_root).apply(self)

    def abs(self):
        return ops.from_table(ew.absolute).apply(self)

    __abs__ = abs

    def tanh(self):
        return ops.from_table(ew.hyperbolic_tangent).apply(self)

    def sigmoid(self):
        return ops.from_table(ew.sigmoid).apply(self)

    def relu(self):
        return ops.from_table(ew.relu).apply(self)

    def gelu(self):
        return ops.from_table(ew.gelu).apply(self)

    def clip(self, low=None, high=None):
        return ops.Clip.apply(self, low=low, high=high)

    def maximum(self, other):
        return ops.Maximum.apply(self, other)

    def minimum(self, other):
        return ops.Minimum.apply(self, other)

    # ---- reductions ------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return ops.Var.apply(self, axis=axis, keepdims=keepdims, ddof=ddof)

    def logsumexp(self, axis=None, keepdims=False):
        return ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    # ---- shapes ------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return ops.Reshape.apply(self, shape=tuple(shape))

    def permute(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return ops.Permute.apply(self, axes=tuple(axes))

    def transpose(self, *axes):
        """Reverse the axes (a matrix's transpose), or reorder them as ``permute`` does."""
        return self.permute(*axes) if axes else self.permute(tuple(reversed(range(self.ndim))))

    T = property(transpose)

    def swapaxes(self, axis1, axis2):
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.permute(axes)

    def squeeze(self, axis=None):
        """Drop axes of length 1 (all of them, or the ones named)."""
        if axis is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        axes = ops.normalize_axes(axis, self.ndim, "squeeze")
        for ax in axes:
            if self.shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} has length {self.shape[ax]}, not 1 (shape {self.shape})")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        """Insert an axis of length 1 at position ``axis``."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {self.shape}")
        return self.reshape(np.expand_dims(self._data, axis).shape)

    def broadcast_to(self, shape):
        return ops.BroadcastTo.apply(self, shape=tuple(shape))

    def take_along_axis(self, indices, axis):
        """Pick one entry per position along ``axis`` (e.g. log π of each chosen token)."""
        indices = indices._data if isinstance(indices, Tensor) else indices
        return ops.TakeAlongAxis.apply(self, indices=indices, axis=axis)

    # ---- backpropagation ------------------------------------------------------------
    def backward(self, grad=None):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf).

        A scalar root is seeded with 1; any other root needs ``grad``, the
        gradient of some loss with respect to it (same shape). Leaves *add* to
        their ``.grad``; intermediate gradients are freed as soon as they have
        been passed on, unless ``retain_grad()`` asked to keep them.
        """
        autograd.backward(self, grad)


# ---- making tensors ------------------------------------------------------------------
def tensor(data, requires_grad=False, dtype=None, label=None):
    """``Tensor(...)``, spelled as in PyTorch: a copy of ``data``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


def from_numpy(array, requires_grad=False, label=None):
    """A Tensor over ``array`` itself, without a copy (``Tensor(array, copy=False)``): for an array too big to copy.

    What you promise: not to write to ``array`` (nor to a view of it you keep) while a graph made from the
    tensor may still run ``backward()``: such a write is not seen, and the gradient would be silently wrong.
    Writes through the tensor (``t.data[i] = v``, an optimizer's step) are counted, and change ``array``.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}; use tensor(data) to copy")
    return Tensor(array, requires_grad=requires_grad, label=label, copy=False)


def constant(x, dtype=None):
    """A Tensor for a number or array that takes no gradient."""
    if isinstance(x, Tensor):
        return x
    return constant_node(Tensor, x, dtype)


def _as_array(data, dtype, copy):
    """A NumPy array: Python numbers and lists become float64 unless told otherwise.

    NumPy arrays keep their dtype (float32 stays float32, integer index arrays stay integers), so the learner's
    default is exact float64 arithmetic. ``copy=True``: always a new array, never the caller's; False: the
    caller's array itself when no conversion is needed. A number beyond ``dtype``'s range is refused."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor: got a Tensor; use it directly, or .detach() for a copy outside the graph")
    if data is None:
        raise TypeError("Tensor: got None; pass a number, a list of numbers or an array")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = np.float64
    convert = np.array if copy else np.asarray
    try:
        if dtype is np.float64 or dtype is FLOAT64:  # the common case: nothing overflows on the way to float64
            array = convert(data, dtype=dtype)
        else:
            with np.errstate(over="raise", invalid="raise"):  # a cast to float32 must not make −1e300 into −inf
                array = convert(data, dtype=dtype)
    except (FloatingPointError, OverflowError):  # (or an int too large for any float)
        raise ValueError(f"Tensor: {data!r:.60} holds a number beyond the range of {np.dtype(dtype)}") from None
    except (TypeError, ValueError) as error:
        raise TypeError(f"Tensor: cannot make an array of {type(data).__name__} {data!r:.60}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: data must be numbers, got dtype {array.dtype}")
    return array


def _index_array(index):
    """Indices may be Tensors of integers; NumPy wants arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    return index

