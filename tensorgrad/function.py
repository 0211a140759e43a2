"""The graph node and the op protocol: what every tensor op is made of.

A ``Node`` is the part of a tensor the graph needs: its array, the op that
made it, its parents, what the op saved for backward, and a version counter.
``tensorgrad.tensor.Tensor`` is a Node with the user's API on top (operators,
methods, checks on what the user passes in).

An op is a ``Function`` subclass with, side by side:

    forward(ctx, *arrays, **settings)   the output array
    backward(ctx, g)                    one gradient per input (None: no gradient),
                                        the vector-Jacobian product

``Function.apply`` runs an op on nodes and makes the output node. It takes the
node type from its inputs, so this module needs nothing from ``tensor.py``,
which in turn imports the ops: the dependencies point one way.

``no_grad`` is the one piece of global state: an explicit mode.
"""

import functools
import math
import threading

import numpy as np

from tensorgrad import anomaly, masking


# ---- grad mode -----------------------------------------------------------------------
class _GradMode(threading.local):
    """Whether ops build a graph, for this thread (as in PyTorch: another thread's no_grad() is not ours)."""

    enabled = True


_grad_mode = _GradMode()


class no_grad:
    """``with no_grad():`` ops build no graph (evaluation, optimizer updates); ``@no_grad()`` on a function too.

    Modes nest and restore what was there before, even when one object is
    entered twice (``with mode, mode:``).
    """

    enabled = False  # the grad mode inside the block

    def __new__(cls, function=None):
        mode = super().__new__(cls)
        return mode if function is None else mode(function)  # @no_grad, without parentheses, works too

    def __init__(self, function=None):
        self._previous = []

    def __enter__(self):
        self._previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.enabled

    def __exit__(self, *exc):
        _grad_mode.enabled = self._previous.pop()

    def __call__(self, function):
        """Use as a decorator: each call of ``function`` runs in this mode."""

        @functools.wraps(function)
        def in_this_mode(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return in_this_mode


class enable_grad(no_grad):
    """``with enable_grad():`` ops build a graph again (inside ``no_grad``, or for ``create_graph``)."""

    enabled = True


def is_grad_enabled():
    return _grad_mode.enabled


FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))  # the dtypes a tensor that requires grad may have
LARGEST = {dtype: float(np.finfo(dtype).max) for dtype in FLOAT_DTYPES}  # the largest finite number of each


def all_finite(array):
    """Whether every entry of a float array is finite, in one pass and no temporary array in the usual case:
    Σx² (a BLAS dot product) is finite only if every x is; if it is not (a NaN, an infinity, or finite
    entries whose squares overflow), one exact ``isfinite`` pass decides."""
    return math.isfinite(np.vdot(array, array)) or bool(np.isfinite(array).all())


class Version:
    """How many in-place writes a node's array has had (shared by views of it, and by ``detach()``), and whether
    one of them wrote −inf: a view's write masks every tensor that shares the array, not just the view."""

    __slots__ = ("count", "masked")

    def __init__(self):
        self.count = 0
        self.masked = False


# ---- the node ---------------------------------------------------------------------------
class Node:
    """A node of the graph: ``_data`` (its array), ``op`` (the Function that made it, None for a
    leaf), ``_in`` (the tuple of its inputs, None for a leaf: see ``scalargrad.graph``), ``_ctx`` (what
    the op saved), ``grad``, ``requires_grad``, ``_masked`` (it may hold −inf: ``tensorgrad.masking``)."""

    __slots__ = ("_ctx", "_data", "_in", "_masked", "_requires_grad", "_retains_grad", "_version", "_view", "_walk",
                 "grad", "label", "op")  # _walk: see scalargrad.graph
    _in2 = None  # a tensor op keeps all its inputs in the tuple ``_in``

    @property
    def requires_grad(self):
        """Whether gradients flow to this node. Only a leaf's can be switched (as in PyTorch): switched off on an
        op's output it would silently cut off every gradient behind it (``detach()`` does that, visibly), and a
        tensor that is not float32 or float64 cannot hold a gradient (0.5 would be stored as 0)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not value and self.op is not None:
            raise RuntimeError(f"requires_grad: this tensor was made by {self.op.name}, so its gradient flows on to "
                               "its inputs; only a leaf's requires_grad can be switched. Use t.detach() for a "
                               "tensor cut off from the graph")
        if value and self._data.dtype not in FLOAT_DTYPES:
            raise TypeError(f"requires_grad: only float32/float64 tensors can require grad, got dtype {self._data.dtype}")
        self._requires_grad = bool(value)

    @property
    def _parents(self):
        """The inputs, as a tuple (empty for a leaf)."""
        return self._in or ()

    @classmethod
    def from_op(cls, data, op=None, parents=(), ctx=None):
        """A node around an array an op made (or a constant): no copy, no checks. A NumPy scalar (what NumPy
        gives for arithmetic on 0-d arrays) becomes a 0-d array, which an in-place write can change."""
        node = cls.__new__(cls)
        node._data = data if type(data) is np.ndarray else np.asarray(data)
        node._requires_grad = op is not None
        node.grad = None
        node.label = None
        node.op = op
        node._in = parents or None
        node._walk = None
        node._ctx = ctx
        node._version = Version()
        node._view = None
        node._retains_grad = False
        node._masked = False
        return node

    def __getstate__(self):
        """What a copy or a pickle keeps: every slot but the (weak) reference to the DataView of this
        node's array (``Tensor.data`` makes a new one for the copy's own array)."""
        slots = {name: getattr(self, name) for name in Node.__slots__ if hasattr(self, name)}
        slots["_view"] = None
        return None, slots

    # ---- in-place writes outside the graph, as through ``.data``: each counts as a new version ----
    def sub_(self, step):
        """``t ← t − step`` in place (what an optimizer does); ``step`` a number, an array or a tensor."""
        np.subtract(self._data, _numbers(step), out=self._data)  # not ``data -= step``: given a Tensor, that
        return self.written("sub_")                               # rebinds the name to a new Tensor, silently

    def mul_(self, factor):
        """``t ← t · factor`` in place (a weight decay)."""
        np.multiply(self._data, _numbers(factor), out=self._data)
        return self.written("mul_")

    def copy_(self, values, finite=False):
        """``t ← values`` in place. ``finite=True``: the caller has checked that every value is finite (an
        optimizer writing the weights it has checked), so they are not looked at again."""
        np.copyto(self._data, _numbers(values))
        return self.written("copy_", finite=finite)

    def written(self, name, values=None, finite=False):
        """After an in-place write (``name``) of the numbers ``values`` (None: the whole array): count a new
        version, and look at the array as ``Tensor(...)`` looks at its data: −inf is a masked position (so the
        ops check their outputs again), NaN or +inf is refused. The whole array only when what was written is
        not all finite: a loop writing one entry at a time must not read all of it each time. ``finite=True``:
        the writer has checked them already."""
        self._version.count += 1
        whole = values is None
        if not finite and not all_finite(self._data if whole else np.asarray(values)):
            self._masked = masking.entering(self._data, name, "the write left",
                                            "only −inf may be written into a tensor, as a masked position")
            self._version.masked |= self._masked
        elif whole:
            self._masked = False
        return self

    def refuse_in_place(self, name, value=None):
        """``t[...] = v`` has no derivative here: allowed under no_grad(), or to a tensor without grad from a
        ``value`` without grad (a value's gradient would be lost in silence)."""
        if not _grad_mode.enabled:
            return
        if self._requires_grad:
            raise RuntimeError(
                f"{name}: in-place writes to a tensor that requires grad are not differentiable here; "
                "build a new tensor (tensorgrad.where, concatenate) or write under no_grad()"
            )
        if getattr(value, "_requires_grad", False):
            raise RuntimeError(
                f"{name}: the value written requires grad, and a write into a tensor is not differentiable here, "
                "so its gradient would be lost; build a new tensor (tensorgrad.where, concatenate, stack), or "
                "write value.detach() to drop it on purpose"
            )


def _numbers(x):
    """What an in-place write writes: a node's array, or ``x`` itself (a number, an array)."""
    return x._data if isinstance(x, Node) else x


# ---- ops -------------------------------------------------------------------------------
class Context:
    """What an op's forward leaves for its backward: saved arrays and any settings.

    ``needs_input_grad[i]`` says whether input i wants a gradient, so a backward
    can skip work no one will use (as in PyTorch).
    """

    saved = ()

    def save_for_backward(self, *arrays):
        self.saved = arrays


class Function:
    """An op: ``forward(ctx, *arrays, **settings)`` beside ``backward(ctx, g)``.

    ``differentiable_backward = True`` declares that ``backward`` also runs
    when ``g`` and the saved arrays are Tensors (it uses only operations that
    Tensors have), so ``grad(..., create_graph=True)`` can differentiate the
    gradient again. Ops without it raise a clear error there instead.
    """

    name = "op"
    symbol = "op"
    view = False  # True if forward returns a view of its first input's array
    differentiable_backward = False

    @classmethod
    def apply(cls, *inputs, **settings):
        """Run the op on tensors (plain numbers and arrays become constants of the tensors' dtype)."""
        nodes = inputs
        for x in inputs:
            if not isinstance(x, Node):
                nodes = _lift(inputs, cls.name)
                break
        arrays, needs, versions, masked = [], [], [], False
        for t in nodes:  # one pass over the inputs gathers all the op needs from them
            arrays.append(t._data)
            needs.append(t._requires_grad)
            version = t._version
            versions.append(version.count)  # ops never write to their inputs: the count after forward too
            if t._masked or version.masked:
                masked = True
        requires_grad = _grad_mode.enabled and True in needs
        if requires_grad and settings:
            _own_arrays(settings)
        ctx = Context()
        try:
            out = cls.forward(ctx, *arrays, **settings)
        except ValueError as error:
            if "could not be broadcast" not in str(error):
                raise
            shapes = " and ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{cls.name}: shapes {shapes} do not broadcast together") from None
        except TypeError as error:  # NumPy refusing a dtype, e.g. − of a boolean array
            dtypes = ", ".join(str(a.dtype) for a in arrays)
            raise TypeError(f"{cls.name}: not defined for input dtype(s) {dtypes} ({error})") from None
        if type(out) is not np.ndarray:
            out = _as_array_output(out, ctx)
        node_type = type(nodes[0])
        node = node_type.from_op(out, cls, nodes, ctx) if requires_grad else node_type.from_op(out)
        if cls.view:
            node._version = nodes[0]._version
        if masked:  # −inf came in: it may leave as −inf, never as NaN or +inf
            node._masked = masking.checked_output(out, cls.name, arrays)
        if requires_grad:
            ctx.needs_input_grad = needs
            ctx.versions = [node._version.count, *versions]
        if anomaly.mode.enabled:
            ctx.made_at = anomaly.user_line()
            anomaly.refuse_non_finite(out, "the output", cls.name, arrays, ctx.made_at, masked=node._masked)
        return node

    @staticmethod
    def forward(ctx, *arrays, **settings):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, g):
        raise NotImplementedError


def _as_array_output(scalar, ctx):
    """A 0-d array for the NumPy scalar an op gave (arithmetic on 0-d arrays gives one), which an in-place
    write can change; where the op saved the scalar as its output, it now saves the array, the node's own."""
    out = np.asarray(scalar)
    ctx.saved = tuple(out if saved is scalar else saved for saved in ctx.saved)
    return out


def _own_arrays(settings):
    """Copy every NumPy array among an op's settings (targets, indices, masks): the graph owns what it keeps,
    so a later write to the caller's array cannot change the backward pass."""
    for name, value in settings.items():
        if isinstance(value, np.ndarray):
            settings[name] = np.array(value)


def _lift(inputs, name):
    """Nodes for an op's inputs: numbers and arrays become constants of the inputs' float dtype."""
    node_type = dtype = None
    for x in inputs:
        if isinstance(x, Node):
            node_type = node_type or type(x)
            if x._data.dtype.kind == "f":
                dtype = x._data.dtype
                break
    if node_type is None:
        raise TypeError(f"{name}: needs at least one Tensor, got {', '.join(type(x).__name__ for x in inputs)}")
    try:
        return tuple([x if isinstance(x, Node) else constant_node(node_type, x, dtype) for x in inputs])
    except (TypeError, ValueError) as error:  # a scalargrad Value (it refuses to become a float), a number
        raise type(error)(f"{name}: {error}") from None  # beyond the dtype's range: say which op met it


def constant_node(node_type, x, dtype=None):
    """A node of ``node_type`` for a number or array that takes no gradient."""
    if (type(x) is float or type(x) is int) and abs(x) <= LARGEST.get(dtype, -1.0):  # the common case, made
        return node_type.from_op(np.array(x, dtype=dtype))  # fast: a number within the float dtype's range
    return node_type(x, dtype=dtype)
