"""Layers with parameters: Module, Linear, Embedding, LayerNorm, Dropout, MLP, Sequential.

scalargrad.nn builds a layer from Neurons, one Value per weight; here a
layer's weights are one Tensor, and ``x @ weight + bias`` computes every
neuron of the layer for every row of a batch at once (§12).

A Module finds its parameters itself: every attribute that is a Tensor with
``requires_grad``, a Module, or a list, tuple or dict of them (nested ones
too), walked in the order the attributes were set. The dotted names (``layers.0.weight``) are the keys of
``state_dict``, which is what ``save`` writes and ``load`` reads.

Random initialisation always comes from an explicit ``rng``: an int seed
for a fresh NumPy Generator, or a Generator, used as given (scalargrad.nn
follows the same rule with ``random.Random``). There is no global random
state, so the same seed gives the same model.
"""

import itertools
import zipfile

import numpy as np

from tensorgrad import checks
from tensorgrad import functional as F
from tensorgrad.tensor import Tensor


class Module:
    """Anything with parameters. Subclasses set them as attributes and write ``forward``."""

    training = True  # read by Dropout; set by train() and eval()

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # ---- finding parameters -------------------------------------------------------------
    def _walk(self):
        """(dotted name, Tensor or Module) for everything reachable from here, depth first.

        An explicit stack instead of recursion; a Module or Tensor reached twice
        (a shared layer, tied weights) is listed once, under its first name.
        """
        found, seen = [("", self)], {id(self)}
        stack = list(reversed(_members(self, "")))
        while stack:
            name, member = stack.pop()
            if id(member) in seen:
                continue
            seen.add(id(member))
            found.append((name, member))
            if isinstance(member, Module):
                stack.extend(reversed(_members(member, name + ".")))
        return found

    def named_parameters(self):
        """(dotted name, tensor) for every parameter: attributes in the order they were set, depth first."""
        return [(name, m) for name, m in self._walk() if isinstance(m, Tensor) and m.requires_grad]

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def modules(self):
        return [m for _, m in self._walk() if isinstance(m, Module)]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def train(self, mode=True):
        """Set ``training`` on this module and every module inside it (Dropout drops only in training)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        return self.train(False)

    # ---- saving and loading ----------------------------------------------------------------
    def state_dict(self):
        """{dotted name: a copy of the parameter's array}."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        """Copy arrays (or Tensors) into the parameters. Everything is checked first, names, shapes and values
        (real, finite, and within the range of the parameter's dtype), so a failure leaves the module untouched."""
        params = dict(self.named_parameters())
        arrays, problems = {}, []
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing:
            problems.append(f"missing {missing}")
        if unexpected:
            problems.append(f"unexpected {unexpected}")
        for name, p in params.items():
            if name not in state:
                continue
            value = state[name].data if isinstance(state[name], Tensor) else state[name]
            array = np.asarray(value)
            if array.dtype.kind not in "fiu":
                problems.append(f"{name} holds {array.dtype} values, not real numbers")
            elif array.shape != p.shape:
                problems.append(f"{name} has shape {p.shape} here but {array.shape} in the state")
            elif not np.isfinite(array).all():
                problems.append(f"{name} holds NaN or infinity")
            else:
                array, beyond = checks.cast_to(array, p.dtype, name)  # 1e300 would be inf in float32
                problems += [beyond] if beyond else []
            arrays[name] = array
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for name, p in params.items():
            p.data = arrays[name]  # copied into p's dtype: later updates never touch `state`
        return self

    def save(self, path):
        """Write ``state_dict()`` to ``path`` in NumPy's .npz format (plain arrays, no pickles).

        Written member by member, as ``np.savez`` does, so that any parameter name works
        (``np.savez(file, **state)`` breaks on a parameter called ``file``).
        """
        with zipfile.ZipFile(path, "w") as archive:
            for name, array in self.state_dict().items():
                with archive.open(f"{name}.npy", "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    def load(self, path):
        """Read an .npz written by ``save`` into this module's parameters (pickled objects are never run)."""
        try:
            loaded = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise FileNotFoundError(f"load: there is no file at {path}") from None
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"load: {path} is not an .npz written by save ({error})") from None
        if getattr(loaded, "files", None) is None:  # np.load gave one array: a .npy file
            raise ValueError(f"load: {path} holds a single array (.npy), not a module's state (.npz written by save)")
        with loaded as archive:
            try:
                state = {name: archive[name] for name in archive.files}
            except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
                raise ValueError(f"load: {path} is damaged or holds pickled objects, which are refused ({error})") from None
        return self.load_state_dict(state)


def _members(module, prefix):
    """The Tensors and Modules among ``module``'s attributes, with lists, tuples and dicts opened up, nested ones
    too (``layers.0``, ``heads.query``): a layer kept in any of them is trained, saved and switched to eval()."""
    members, opened = [], set()
    stack = [(prefix + name, value) for name, value in reversed(vars(module).items())]
    while stack:
        name, value = stack.pop()
        if isinstance(value, (Tensor, Module)):
            members.append((name, value))
        elif isinstance(value, (list, tuple, dict)) and id(value) not in opened:  # a list holding itself: once
            opened.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((f"{name}.{key}", item) for key, item in reversed(list(items)))
    return members


class Linear(Module):
    """x @ weight + bias: ``out_features`` neurons reading ``in_features`` inputs (§12).

    ``weight`` has shape (in_features, out_features), so a batch of rows
    (N, in) becomes (N, out). Weight and bias start uniform in ±1/√in_features,
    which keeps the outputs' scale close to the inputs'. An array (not a
    Tensor) is cast to the layer's dtype; a number beyond that dtype's range
    is refused, where the cast would have made it ±inf.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float64, rng=0):
        checks.count(in_features, "Linear", "in_features")
        checks.count(out_features, "Linear", "out_features")
        rng = checks.seeded_generator(rng, "Linear")
        bound = 1 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Tensor(
            rng.uniform(-bound, bound, (in_features, out_features)).astype(dtype), requires_grad=True, label="weight"
        )
        self.bias = (
            Tensor(rng.uniform(-bound, bound, out_features).astype(dtype), requires_grad=True, label="bias")
            if bias
            else None
        )

    def forward(self, x):
        if not isinstance(x, Tensor):  # an array or a list, checked by Tensor(), then cast to the layer's dtype
            x = Tensor(checks.narrowed(checks.array(Tensor(x)), self.weight.dtype, repr(self), "the input"), copy=False)
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected inputs whose last axis has length {self.in_features}, got shape {shape}")
        if x.dtype.kind != "f":  # the check names this layer, so its repr is made only when it is needed
            x = checks.float_tensor(x, repr(self))
        if self.bias is None:
            return F.LinearOp.apply(x, self.weight)
        return F.LinearOp.apply(x, self.weight, self.bias)

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, bias={self.bias is not None})"


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of length ``embedding_dim``: token ids in, vectors out (§14).

    ``embedding(ids)`` looks up one row per id, for ids of any shape, so the
    output has shape ids.shape + (embedding_dim,). Its backward is a
    scatter-add: a token that appears twice sends both gradients to its row.
    Rows start as standard normal draws.
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=np.float64, rng=0):
        checks.count(num_embeddings, "Embedding", "num_embeddings")
        checks.count(embedding_dim, "Embedding", "embedding_dim")
        rng = checks.seeded_generator(rng, "Embedding")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Tensor(
            rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype), requires_grad=True, label="weight"
        )

    def forward(self, ids):
        return self.weight[checks.integers(ids, repr(self), "ids", high=self.num_embeddings)]

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


class LayerNorm(Module):
    """Normalise each row's last axis to mean 0, variance 1, then apply a learned scale and shift.

    The scale starts at 1 and the shift at 0, so a new LayerNorm only normalises.
    """

    def __init__(self, dim, eps=1e-5, dtype=np.float64):
        checks.count(dim, "LayerNorm", "dim")
        self.dim, self.eps = dim, eps
        self.weight = Tensor(np.ones(dim, dtype=dtype), requires_grad=True, label="weight")
        self.bias = Tensor(np.zeros(dim, dtype=dtype), requires_grad=True, label="bias")

    def forward(self, x):
        return F.layer_norm(x, self.weight, self.bias, self.eps)

    def __repr__(self):
        return f"LayerNorm({self.dim})"


class Dropout(Module):
    """``F.dropout`` while training, the identity after ``eval()``; masks come from ``rng``."""

    def __init__(self, p=0.5, rng=0):
        self.p, self.rng = p, checks.seeded_generator(rng, "Dropout")

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.rng)

    def __repr__(self):
        return f"Dropout(p={self.p})"


ACTIVATIONS = {
    "relu": Tensor.relu,
    "tanh": Tensor.tanh,
    "sigmoid": Tensor.sigmoid,
    "gelu": Tensor.gelu,
}


class MLP(Module):
    """Linear layers of widths ``n_inputs → sizes[0] → … → sizes[-1]``, activation between, linear output.

    ``MLP(2, [16, 16, 1])`` is micrograd's two-moons classifier, in both
    engines: the input width, then the width of every layer (as torchvision's
    ``MLP(in_channels, hidden_channels)``). One ``rng`` (an int seed or a
    Generator) initialises every layer in order.
    """

    def __init__(self, n_inputs, sizes=(), activation="relu", dtype=np.float64, rng=0):
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, (int, np.integer)):
            raise TypeError(f"MLP: n_inputs must be an int, got {n_inputs!r}; the widths come as MLP(n_inputs, sizes), "
                            "e.g. MLP(2, [16, 16, 1]) for what was once MLP([2, 16, 16, 1])")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        if len(sizes) < 1:
            raise ValueError(f"MLP: sizes needs at least the output width, got {list(sizes)}")
        rng = checks.seeded_generator(rng, "MLP")
        self.activation = activation
        widths = [n_inputs, *sizes]
        self.layers = [Linear(n_in, n_out, dtype=dtype, rng=rng) for n_in, n_out in itertools.pairwise(widths)]

    def forward(self, x):
        act = ACTIVATIONS[self.activation]
        for layer in self.layers[:-1]:
            x = act(layer(x))
        return self.layers[-1](x)

    def __repr__(self):
        return f"MLP({self.layers[0].in_features}, {[layer.out_features for layer in self.layers]})"


class Sequential(Module):
    """Apply modules (or any functions of one tensor, like ``Tensor.relu``) in turn."""

    def __init__(self, *modules):
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self):
        return f"Sequential({', '.join(map(repr, self.layers))})"
