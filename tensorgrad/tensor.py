"""Tensor: scalargrad's Value with an array in every node.

The graph is the same: each node remembers its parents and the op that made
it, and ``backward()`` walks it in reverse topological order (the one walk in
``scalargrad.graph``). What changes is the local derivative. For arrays it is
a Jacobian matrix, far too big to build, so each op instead writes its
*vector-Jacobian product*: given the gradient ``g`` of the loss with respect
to its output, it returns the gradient with respect to each input. For
``out = a * b`` that is ``(g * b, g * a)``: scalargrad's ``upstream × local``,
elementwise.

Broadcasting (``(3, 4) + (4,)``) is undone in exactly one place: the walk
sums each input's gradient back to that input's shape (``unbroadcast``), so no
op has to think about it.

An op is a ``Function`` subclass with ``forward(ctx, *arrays)`` and
``backward(ctx, grad)`` side by side; ``ctx`` carries what backward needs.
Saved arrays are plain NumPy arrays, never Tensors, so graphs hold no
reference cycles. Each tensor has a version counter; an in-place write to an
array that a pending backward saved is reported instead of silently giving a
wrong gradient.
"""

import math

import numpy as np

from scalargrad.graph import topological_order

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ---- grad mode: the one piece of global state, an explicit mode ----------------------
class _GradMode:
    enabled = True


class no_grad:
    """``with no_grad():`` ops build no graph (evaluation, optimizer updates)."""

    def __enter__(self):
        self._previous = _GradMode.enabled
        _GradMode.enabled = False

    def __exit__(self, *exc):
        _GradMode.enabled = self._previous


def is_grad_enabled():
    return _GradMode.enabled


class _Version:
    """How many in-place writes a tensor's array has had (shared by views of it)."""

    __slots__ = ("count",)

    def __init__(self):
        self.count = 0


# ---- the Tensor ------------------------------------------------------------------------
class Tensor:
    """An array that remembers how it was computed.

    ``data`` is the NumPy array, ``grad`` its gradient (an array of the same
    shape, or None before any backward pass), ``op`` the Function that made it
    (None for a leaf) and ``_parents`` its inputs.
    """

    __slots__ = ("_ctx", "_data", "_parents", "_retains_grad", "_version", "grad", "label", "op", "requires_grad")
    __array_priority__ = 1000  # numpy_array * tensor calls Tensor.__rmul__, not NumPy

    def __init__(self, data, requires_grad=False, dtype=None, label=None):
        self._data = _as_array(data, dtype)
        if requires_grad and isinstance(data, np.ndarray) and np.shares_memory(self._data, data):
            self._data = self._data.copy()  # a parameter owns its array: updates must not reach the caller's
        if requires_grad and self._data.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"Tensor: only float32/float64 tensors can require grad, got dtype {self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.label = label
        self.op = None
        self._parents = ()
        self._ctx = None
        self._version = _Version()
        self._retains_grad = False

    # data: replacing or updating it in place counts as a new version
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        """Replace the array (``t.data = new``) or update it in place (``t.data -= step``).

        Either way the version goes up. Only an in-place update can spoil a
        pending backward (it changes an array the graph saved), and that is
        reported when backward runs.
        """
        if value is not self._data:  # a new array (an in-place update hands back the same one)
            value = _as_array(value, self._data.dtype)
            if value.shape != self._data.shape:
                raise ValueError(f"Tensor.data: new shape {value.shape} differs from {self._data.shape}")
            self._data = value
        self._version.count += 1

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)

    def __len__(self):
        return len(self._data)

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
        """The array itself (not a copy): read it, do not write to it."""
        return self._data

    def detach(self):
        """The same array, cut off from the graph (and sharing its version counter)."""
        out = Tensor.__new__(Tensor)
        _init_node(out, self._data, False, None, (), None)
        out._version = self._version
        return out

    def retain_grad(self):
        """Keep this intermediate tensor's ``.grad`` after backward (leaves always keep theirs)."""
        self._retains_grad = True
        return self

    def zero_grad(self):
        self.grad = None

    def __setitem__(self, index, value):
        """An in-place write: allowed outside the graph only, and counted as a new version."""
        if self.requires_grad and _GradMode.enabled:
            raise RuntimeError(
                "setitem: in-place writes to a tensor that requires grad are not differentiable here; "
                "build a new tensor (tensorgrad.where, concatenate) or write under no_grad()"
            )
        self._data[_index_array(index)] = value.data if isinstance(value, Tensor) else value
        self._version.count += 1

    # ---- arithmetic: Python operators, with numbers or arrays on either side ----
    def __add__(self, other):
        return ops.Add.apply(self, other)

    def __radd__(self, other):
        return ops.Add.apply(other, self)

    def __sub__(self, other):
        return ops.Sub.apply(self, other)

    def __rsub__(self, other):
        return ops.Sub.apply(other, self)

    def __mul__(self, other):
        return ops.Mul.apply(self, other)

    def __rmul__(self, other):
        return ops.Mul.apply(other, self)

    def __truediv__(self, other):
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other):
        return ops.Div.apply(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return ops.Pow.apply(self, exponent)
        return ops.PowScalar.apply(self, exponent=exponent)

    def __rpow__(self, base):
        return ops.Pow.apply(base, self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(other, self)

    def __getitem__(self, index):
        index = _index_array(index)
        return (ops.Slice if ops.is_basic(index) else ops.Select).apply(self, index=index)

    # ---- elementwise functions ----------------------------------------------------------
    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def sqrt(self):
        return ops.Sqrt.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    __abs__ = abs

    def tanh(self):
        return ops.Tanh.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def relu(self):
        return ops.Relu.apply(self)

    def gelu(self):
        return ops.Gelu.apply(self)

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
        indices = indices.data if isinstance(indices, Tensor) else indices
        return ops.TakeAlongAxis.apply(self, indices=indices, axis=axis)

    # ---- backpropagation ------------------------------------------------------------
    def backward(self, grad=None):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf).

        A scalar root is seeded with 1; any other root needs ``grad``, the
        gradient of some loss with respect to it (same shape). Leaves *add* to
        their ``.grad``; intermediate gradients are freed as soon as they have
        been passed on, unless ``retain_grad()`` asked to keep them.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad: no input of the ops that made it "
                "has requires_grad=True (or it was computed under no_grad())"
            )
        seed = _seed(self, grad)
        order = topological_order(self)
        pending = {self: seed}  # gradients not yet passed on, freed as soon as they are
        for node in reversed(order):
            g = pending.pop(node, None)
            if g is None:
                continue
            if node.op is None or node._retains_grad:
                _accumulate(node, g)
            if node.op is None:
                continue
            if node._ctx.saved:
                _check_versions(node)
            input_grads = node.op.backward(node._ctx, g)
            for parent, parent_grad in zip(node._parents, input_grads):
                if parent_grad is None or not parent.requires_grad:
                    continue
                shape = parent._data.shape
                if parent_grad.shape != shape:
                    parent_grad = _unbroadcast_checked(parent_grad, shape, node.op)
                if parent in pending:
                    pending[parent] = pending[parent] + parent_grad
                else:
                    pending[parent] = parent_grad


def _init_node(node, data, requires_grad, op, parents, ctx):
    node._data = data
    node.requires_grad = requires_grad
    node.grad = None
    node.label = None
    node.op = op
    node._parents = parents
    node._ctx = ctx
    node._version = _Version()
    node._retains_grad = False


def _seed(root, grad):
    if grad is None:
        if root.size != 1:
            raise RuntimeError(
                f"backward: the root has shape {root.shape}, so it needs a seed gradient of that shape "
                "(backward(grad=...)), or reduce it to a scalar first (e.g. loss.mean())"
            )
        return np.ones_like(root.data)
    seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad, dtype=root.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"backward: seed gradient has shape {seed.shape}, the root has shape {root.shape}")
    return seed


def _accumulate(node, g):
    """Add ``g`` into ``node.grad``, always a fresh array of the node's dtype and shape.

    Fresh, so two leaves never share one; an array even for a 0-d tensor (NumPy
    arithmetic on 0-d arrays returns scalars, which cannot be updated in place).
    """
    g = np.array(g, dtype=node.dtype)
    node.grad = g if node.grad is None else np.asarray(node.grad + g)


def _check_versions(node):
    """Refuse to backpropagate through arrays that were overwritten after the forward pass."""
    ctx = node._ctx
    for owner, version in zip((node, *node._parents), ctx.versions):
        if owner._version.count != version and any(owner._data is saved for saved in ctx.saved):
            which = "its output" if owner is node else f"input of shape {owner.shape}"
            raise RuntimeError(
                f"backward through {node.op.name}: {which} was modified in place after the forward "
                f"pass (version {owner._version.count}, saved at version {version}); its gradient "
                "would be wrong. Update parameters only after backward(), or compute on a copy."
            )


def _unbroadcast_checked(grad, shape, op):
    """unbroadcast, and a clear error if an op's backward returned a wrong shape."""
    grad = unbroadcast(grad, shape)
    if grad.shape != shape:
        raise RuntimeError(
            f"backward through {op.name}: its backward returned a gradient of shape "
            f"{grad.shape} for an input of shape {shape}"
        )
    return grad


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting, in one place.

    Broadcasting copies an input along new leading axes and along axes of
    length 1; each copy received its own share of the gradient, so the
    input's gradient is their sum.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# ---- ops: Function, Context and apply ------------------------------------------------
class Context:
    """What an op's forward leaves for its backward: saved arrays and any settings.

    ``needs_input_grad[i]`` says whether input i wants a gradient, so a backward
    can skip work no one will use (as in PyTorch).
    """

    saved = ()

    def save_for_backward(self, *arrays):
        self.saved = arrays


class Function:
    """An op. Subclasses write, side by side:

    ``forward(ctx, *arrays, **settings)``  the output array
    ``backward(ctx, grad)``                one gradient per input (None: no gradient)
    """

    name = "op"
    symbol = "op"
    view = False  # True if forward returns a view of its first input's array

    @classmethod
    def apply(cls, *inputs, **settings):
        """Run the op on tensors (plain numbers become constants of the tensors' dtype)."""
        tensors = inputs
        for x in inputs:
            if type(x) is not Tensor:
                tensors = _lift(inputs)
                break
        requires_grad = False
        if _GradMode.enabled:
            for t in tensors:
                if t.requires_grad:
                    requires_grad = True
                    break
        ctx = Context()
        try:
            out = cls.forward(ctx, *[t._data for t in tensors], **settings)
        except ValueError as error:
            if "could not be broadcast" not in str(error):
                raise
            shapes = " and ".join(str(t.shape) for t in tensors)
            raise ValueError(f"{cls.name}: shapes {shapes} do not broadcast together") from None
        node = Tensor.__new__(Tensor)
        if requires_grad:
            _init_node(node, out, True, cls, tensors, ctx)
        else:
            _init_node(node, out, False, None, (), None)
        if cls.view:
            node._version = tensors[0]._version
        if requires_grad:
            ctx.versions = [node._version.count, *[t._version.count for t in tensors]]
            ctx.needs_input_grad = [t.requires_grad for t in tensors]
        return node

    @staticmethod
    def forward(ctx, *arrays, **settings):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError


def _lift(inputs):
    """Tensors for an op's inputs: numbers and arrays become constants of the inputs' float dtype."""
    dtype = None
    for x in inputs:
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            dtype = x._data.dtype
            break
    return tuple([x if isinstance(x, Tensor) else constant(x, dtype) for x in inputs])


# ---- making tensors ------------------------------------------------------------------
def tensor(data, requires_grad=False, dtype=None, label=None):
    """``Tensor(...)``, spelled as in PyTorch."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, label=label)


def constant(x, dtype=None):
    """A Tensor for a number or array that takes no gradient."""
    if isinstance(x, Tensor):
        return x
    if type(x) is float and dtype is not None and math.isfinite(x):  # the common case, made fast
        node = Tensor.__new__(Tensor)
        _init_node(node, np.array(x, dtype=dtype), False, None, (), None)
        return node
    return Tensor(x, dtype=dtype)


def _as_array(data, dtype):
    """A NumPy array: Python numbers and lists become float64 unless told otherwise.

    NumPy arrays keep their dtype (float32 stays float32, integer index arrays
    stay integers), so the learner's default is exact float64 arithmetic.
    """
    if isinstance(data, Tensor):
        raise TypeError("Tensor: got a Tensor; use it directly, or .detach() for a copy outside the graph")
    if dtype is None and not isinstance(data, (np.ndarray, np.generic)):
        dtype = np.float64
    try:
        array = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(f"Tensor: cannot make an array of {type(data).__name__} {data!r:.60}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: data must be numbers, got dtype {array.dtype}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError("Tensor: data contains NaN or infinity")
    return array


def _index_array(index):
    """Indices may be Tensors of integers; NumPy wants arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


# Imported last: the ops subclass Function, defined above, and Tensor's methods call them.
from tensorgrad import ops
