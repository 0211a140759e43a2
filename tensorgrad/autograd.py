"""Reverse mode for tensors: ``backward()`` and ``grad()``, both through the one chain-rule loop.

The loop is scalargrad's (``scalargrad.graph.backpropagate``): a dictionary of
pending gradients filled in reverse topological order. What a tensor op adds
is its vector-Jacobian product ``op.backward(ctx, g)``, and one more step in
exactly one place: broadcasting copied an input along some axes, so its
gradient is summed back to the input's shape (``unbroadcast``).

With ``create_graph=True`` each VJP runs on Tensors instead of arrays: the
saved arrays are replaced by the nodes they belong to, so the gradient is a
graph of its own, which can be differentiated again (Hessian-vector products,
the curvature of a loss).
"""

import numpy as np

from scalargrad.graph import backpropagate
from tensorgrad import anomaly
from tensorgrad.function import Context, Node, all_finite, enable_grad


def backward(root, grad=None):
    """``root.backward(grad)``: add d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    Intermediate gradients are let go as soon as they are passed on, unless
    ``retain_grad()`` asked to keep one. The ``.grad``s are written once the
    whole walk has succeeded: a pass that raises changes none of them.
    """
    refuse_without_grad(root, "backward", "the root")
    seed = seed_gradient(root, grad, "backward")
    kept = []
    with quiet_overflow():
        for node, g in backpropagate(root, seed, vjp):
            if node.op is None or node._retains_grad:
                total = _accumulated(node, g)  # checked after adding: two finite parts can add up to an infinity
                _refuse_non_finite_gradient(node, total, None if node.grad is None else g)
                kept.append((node, total))
    for node, total in kept:
        node.grad = total


def quiet_overflow():
    """A gradient that overflows is reported by the engine's own error (at the leaf it reaches, or at the op under
    ``detect_anomaly``), which names what went wrong: NumPy's RuntimeWarning before it would point inside the engine."""
    return np.errstate(over="ignore", invalid="ignore")


# Why a tensor that does not require grad has no gradient to give (as an input of grad) or to start from.
WITHOUT_GRAD = {
    "input": "no gradient flows to it; make it with requires_grad=True",
    "output": "it does not depend on any tensor that requires grad (it was computed under no_grad(), or it is a "
              "constant, such as the gradient of a linear function, whose own gradient is zero)",
}


def refuse_without_grad(tensor, where, what, role="output"):
    """Refuse ``tensor`` (``what``: "the root", "output 0", "input 1"; its ``role``) if it does not require grad."""
    if not tensor.requires_grad:
        raise RuntimeError(f"{where}: {what} (shape {tensor._data.shape}) does not require grad: {WITHOUT_GRAD[role]}")


def _refuse_non_finite_gradient(tensor, g, added=None):
    """Always on: a NaN or an infinity reaching a parameter (or a tensor whose gradient is kept or asked for) is an
    error, and the way to find its source. ``g`` is the tensor's new gradient; ``added`` what this pass added to the
    ``.grad`` it held (None: nothing held)."""
    if not all_finite(g):
        name = repr(tensor.label) if tensor.label is not None else f"of shape {tensor._data.shape}"
        what = f"leaf {name}" if tensor.op is None else f"tensor {name} (made by {tensor.op.name})"
        index = anomaly.first_index(~np.isfinite(g))
        if added is not None and np.isfinite(added[index]):
            cause = (f"the .grad it held, {tensor.grad[index]}, plus this pass's {added[index]}: too large for its "
                     "dtype. Call zero_grad() between steps, unless summing the gradients of several losses is meant")
        else:
            cause = ("rerun the forward and backward pass inside `with tensorgrad.detect_anomaly():` to find the op "
                     "that made it")
        raise FloatingPointError(f"backward: the gradient of the {what} is {g[index]} at index {index}; {cause}")


def grad(outputs, inputs, grad_outputs=None, create_graph=False):
    """d(outputs)/d(x) for each x in ``inputs``, without touching any ``.grad``.

    ``outputs`` is a tensor, whose ``grad_outputs`` is its seed gradient (needed
    unless it has one element), or a list of tensors with a list of seeds (None
    for a one-element output). Every output must require grad. An input that
    the outputs do not depend on gets zeros. With ``create_graph=True`` the
    gradients are Tensors whose graph leads back to the inputs (and to a seed
    that is itself a Tensor requiring grad), so they can be differentiated again::

        x = Tensor([1.0, 2.0], requires_grad=True)
        (g,) = grad((x ** 3).sum(), [x], create_graph=True)   # 3x²
        (h,) = grad((g * v).sum(), [x])                        # the Hessian times v: 6x·v
    """
    if isinstance(outputs, Node):
        outputs, grad_outputs = [outputs], [grad_outputs]
    else:
        outputs = list(outputs)
        grad_outputs = [None] * len(outputs) if grad_outputs is None else list(grad_outputs)
    inputs = [inputs] if isinstance(inputs, Node) else list(inputs)
    for x in [*outputs, *inputs]:
        if not isinstance(x, Node):
            raise TypeError(f"grad: outputs and inputs must be Tensors, got {type(x).__name__}")
    for i, x in enumerate(inputs):
        refuse_without_grad(x, "grad", f"input {i}", "input")
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} output(s) but {len(grad_outputs)} grad_outputs")
    wanted = {x: None for x in inputs}
    for i, (output, seed) in enumerate(zip(outputs, grad_outputs)):
        refuse_without_grad(output, "grad", f"output {i}")
        if create_graph and isinstance(seed, Node) and seed.requires_grad:  # a seed's graph is kept under create_graph
            seed_gradient(output, seed, "grad")  # checks its shape
        else:
            seed = seed_gradient(output, seed, "grad")
            seed = type(output)(seed) if create_graph else seed
        with quiet_overflow():
            for node, g in backpropagate(output, seed, vjp_on_tensors if create_graph else vjp):
                if node in wanted:
                    wanted[node] = g if wanted[node] is None else wanted[node] + g
    results = []
    for x in inputs:
        g = wanted[x]
        if g is None:
            g = np.zeros_like(x._data)
            g = type(x)(g) if create_graph else g
        elif not create_graph:
            g = np.array(g, dtype=x._data.dtype)
            _refuse_non_finite_gradient(x, g)
        else:
            _refuse_non_finite_gradient(x, g._data)  # a Tensor's ops let an overflow through: it stops here
        results.append(g)
    return results


def vjp(node, g):
    """What ``node`` sends each parent, on arrays: its op's VJP, summed back to each parent's shape."""
    ctx = node._ctx
    if ctx.saved:
        check_versions(node)
    sent = _fitted(node, node.op.backward(ctx, g))
    if anomaly.mode.enabled:
        made_at = getattr(ctx, "made_at", "(outside detect_anomaly(), so not recorded)")
        inputs = [parent._data for parent in node._in]
        for share in sent:
            if share is not None:
                anomaly.refuse_non_finite(np.asarray(share), "the gradient sent back", node.op.name, inputs, made_at)
    return sent


def vjp_on_tensors(node, g):
    """The same VJP on Tensors (``create_graph=True``): the saved arrays become their nodes."""
    op = node.op
    if not op.differentiable_backward:
        raise RuntimeError(
            f"grad(create_graph=True): {op.name} has no second derivative here (its backward is written "
            "for arrays only); use create_graph=False, or build the function from ops that have one"
        )
    check_versions(node)
    ctx = Context()
    vars(ctx).update(vars(node._ctx))
    ctx.saved = saved_nodes(node)
    try:
        with enable_grad():
            grads = op.backward(ctx, g)
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"backward through {op.name} (create_graph=True): {error}") from None
    constant = type(node)  # a gradient that is a plain array (e.g. zeros) joins the graph as a constant
    grads = [grad if grad is None or isinstance(grad, Node) else constant(np.broadcast_to(grad, g.shape)) for grad in grads]
    return _fitted(node, grads)


def _fitted(node, grads):
    """Each parent's share of ``node``'s VJP: None where it takes no gradient, else summed back to its shape."""
    return [
        None if grad is None or not parent._requires_grad
        else grad if grad.shape == parent._data.shape
        else unbroadcast_checked(grad, parent._data.shape, node.op)
        for parent, grad in zip(node._in, grads)  # an op node: its inputs are the tuple _in
    ]


def saved_nodes(node):
    """The nodes behind what ``node``'s op saved: saved array i is input i's, or the output's.

    By position, not by looking for an array among the nodes: a constant made
    from ``x.data`` shares x's array, yet must stay a constant.
    """
    parents, saved = node._in, []
    for i, array in enumerate(node._ctx.saved):
        if i < len(parents) and parents[i]._data is array:
            saved.append(parents[i])
        elif array is node._data:
            saved.append(node)
        else:
            raise RuntimeError(f"grad(create_graph=True): {node.op.name} saved an array that is neither its input "
                               f"number {i} nor its output (was a tensor's .data replaced after the forward pass?), "
                               "so its backward cannot be differentiated here")
    return tuple(saved)


def seed_gradient(root, grad, where):
    """The gradient the walk starts from: 1 for a one-element root, else ``grad`` (same shape)."""
    if grad is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"{where}: the root has shape {root._data.shape}, so it needs a seed gradient of that shape "
                "(backward(grad=...)), or reduce it to a scalar first (e.g. loss.mean())"
            )
        return np.ones_like(root._data)
    seed = np.asarray(grad._data if isinstance(grad, Node) else grad)
    if seed.dtype.kind not in "fiub":  # complex would lose its imaginary part, strings be read as numbers
        raise TypeError(f"{where}: the seed gradient must hold real numbers, got dtype {seed.dtype}")
    seed = seed.astype(root._data.dtype, copy=False)  # the root's: a boolean seed would add True + True = True
    if seed.shape != root._data.shape:
        raise ValueError(f"{where}: seed gradient has shape {seed.shape}, the root has shape {root._data.shape}")
    if not np.isfinite(seed).all():
        raise ValueError(f"{where}: the seed gradient holds NaN or infinity")
    return seed


def _accumulated(node, g):
    """``node.grad + g`` (or ``g`` if it has none yet), always a fresh array of the node's dtype and shape.

    Fresh, so two leaves never share one; an array even for a 0-d tensor (NumPy
    arithmetic on 0-d arrays returns scalars, which cannot be updated in place).
    """
    dtype = node._data.dtype
    if node.grad is None:
        return g.copy() if type(g) is np.ndarray and g.dtype == dtype else np.array(g, dtype=dtype)  # copy(): faster
    if np.shape(node.grad) != np.shape(g):  # a .grad set by hand: adding would broadcast it, or fail inside NumPy
        raise ValueError(f"backward: the .grad held by the tensor of shape {np.shape(g)} has shape "
                         f"{np.shape(node.grad)}; set it to None (zero_grad()) or to an array of the tensor's shape")
    return np.asarray(node.grad + g, dtype=dtype)  # a new array already: no copy of g first


def check_versions(node):
    """Refuse to backpropagate through arrays that were overwritten after the forward pass.

    An op may have saved a view of an input rather than the input's array itself (the packed
    attention saves q, k, v as views of its one input), so what counts is shared memory.
    """
    ctx = node._ctx
    for owner, version in zip((node, *node._in), ctx.versions):
        if owner._version.count != version and any(np.may_share_memory(owner._data, saved) for saved in ctx.saved):
            which = "its output" if owner is node else f"input of shape {owner._data.shape}"
            label = "" if owner.label is None else f"the tensor labelled {owner.label!r}, "
            raise RuntimeError(
                f"backward through {node.op.name}: {which} was modified in place after the forward pass "
                f"({label}version {owner._version.count}, saved at version {version}); its gradient "
                "would be wrong. Update parameters only after backward() (optimizer.step() after "
                "loss.backward()), or write to a copy, Tensor(t.data), or under no_grad() before the forward pass."
            )


def unbroadcast_checked(grad, shape, op):
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
    input's gradient is their sum. Works on arrays and on Tensors.
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
