"""Tests for tensorgrad.nn: parameter discovery, gradients of every layer, train/eval, saving and loading."""

import numpy as np
import pytest

from tensorgrad import Tensor, gradcheck
from tensorgrad import functional as F
from tensorgrad.nn import MLP, Dropout, Embedding, LayerNorm, Linear, Module, Sequential


def random(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


class Block(Module):
    """A module mixing every kind of attribute the parameter walk must handle."""

    def __init__(self):
        self.norm = LayerNorm(3)
        self.heads = [Linear(3, 2, rng=1), Linear(3, 2, bias=False, rng=2)]
        self.scale = Tensor(np.ones(2), requires_grad=True)
        self.constant = Tensor(np.ones(2))  # no requires_grad: not a parameter
        self.name = "block"

    def forward(self, x):
        x = self.norm(x)
        return (self.heads[0](x) + self.heads[1](x)) * self.scale


# ---- finding parameters ------------------------------------------------------------------------------


def test_named_parameters_walk_attributes_in_order_with_dotted_names():
    names = [name for name, _ in Block().named_parameters()]
    assert names == ["norm.weight", "norm.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight", "scale"]
    mlp = MLP(2, [4, 1])
    names = [name for name, _ in mlp.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [p.shape for p in mlp.parameters()] == [(2, 4), (4,), (4, 1), (1,)]


def test_a_shared_layer_is_listed_once_and_plain_functions_are_skipped():
    shared = Linear(2, 2)
    model = Sequential(shared, Tensor.relu, shared)
    assert [n for n, _ in model.named_parameters()] == ["layers.0.weight", "layers.0.bias"]
    assert len(model.modules()) == 2


def test_deeply_nested_modules_need_no_recursion():
    model = Linear(1, 1)
    for _ in range(3000):
        model = Sequential(model)
    (name, _), _ = model.named_parameters()
    assert name == "layers.0." * 3000 + "weight"


def test_zero_grad_and_train_eval_reach_every_module():
    model = Block()
    model(random(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# ---- layers: values and gradients ---------------------------------------------------------------------


def test_linear_computes_x_at_w_plus_b_with_the_stated_init():
    layer = Linear(4, 3, rng=0)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (3,)
    assert np.abs(layer.weight.data).max() <= 0.5 and np.abs(layer.bias.data).max() <= 0.5  # 1/√4
    x = random(5, 4)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + layer.bias.data, rtol=1e-12)
    assert Linear(4, 3, bias=False)(x).shape == (5, 3)


def test_same_seed_same_model_and_no_global_random_state():
    a, b = MLP(3, [5, 2], rng=7), MLP(3, [5, 2], rng=np.random.default_rng(7))
    np.random.seed(123)  # the global generator must not matter
    c = MLP(3, [5, 2], rng=7)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
        np.testing.assert_array_equal(pa.data, pc.data)
    assert not np.array_equal(MLP(3, [5, 2], rng=8).parameters()[0].data, a.parameters()[0].data)


def test_linear_gradients():
    layer = Linear(3, 2)

    def with_params(x, w, b):
        layer.weight, layer.bias = w, b
        return layer(x)

    gradcheck(with_params, [random(4, 3), random(3, 2, seed=1), random(2, seed=2)])
    gradcheck(with_params, [random(2, 4, 3), random(3, 2, seed=1), random(2, seed=2)])  # batch of sequences


def test_embedding_looks_up_rows_and_repeated_ids_add_up():
    table = Embedding(4, 3, rng=0)
    ids = np.array([[0, 2, 0], [1, 0, 2]])
    out = table(ids)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data, table.weight.data[ids])
    out.sum().backward()
    counts = np.bincount(ids.ravel(), minlength=4)  # id 0 appears 3 times, id 3 never
    np.testing.assert_array_equal(table.weight.grad, np.repeat(counts[:, None], 3, axis=1))

    def with_table(w):
        table.weight = w
        return table(ids)

    gradcheck(with_table, random(4, 3))


def test_layer_norm_module_gradients():
    norm = LayerNorm(4)
    np.testing.assert_allclose(norm(random(3, 4)).data.mean(axis=-1), 0, atol=1e-12)

    def with_params(x, w, b):
        norm.weight, norm.bias = w, b
        return norm(x)

    gradcheck(with_params, [random(3, 4), random(4, seed=1), random(4, seed=2)])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_mlp_gradients(activation):
    mlp = MLP(3, [4, 2], activation=activation, rng=3)
    layers = mlp.layers

    def with_params(x, w0, b0, w1, b1):
        (layers[0].weight, layers[0].bias), (layers[1].weight, layers[1].bias) = (w0, b0), (w1, b1)
        return mlp(x)

    gradcheck(with_params, [random(5, 3), *[p.data for p in mlp.parameters()]])


def test_mlp_trains_with_cross_entropy():
    """A few hundred steps of plain gradient descent separate two Gaussian blobs."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 0.5, (20, 2)), rng.normal(1, 0.5, (20, 2))])
    y = np.repeat([0, 1], 20)
    mlp = MLP(2, [8, 2], rng=0)
    for _ in range(200):
        mlp.zero_grad()
        loss = F.cross_entropy(mlp(x), y)
        loss.backward()
        for p in mlp.parameters():
            p.data -= 0.5 * p.grad
    assert loss.item() < 0.1
    assert (mlp(x).data.argmax(axis=1) == y).mean() == 1.0


def test_float32_modules_stay_float32():
    f32 = np.float32
    model = Sequential(Embedding(5, 4, dtype=f32), LayerNorm(4, dtype=f32), MLP(4, [3, 2], dtype=f32))
    out = model(np.array([[1, 2], [3, 1]]))
    assert out.dtype == np.float32
    out.sum().backward()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_dropout_module_follows_train_and_eval():
    model = Sequential(Linear(3, 50), Dropout(0.5, rng=0))
    x = random(4, 3)
    assert (model(x).data == 0).any()
    model.eval()
    np.testing.assert_array_equal(model(x).data, model.layers[0](x).data)


# ---- bad inputs -----------------------------------------------------------------------------------------


def test_bad_inputs_are_named():
    message = r"Linear\(3, 2, bias=True\): expected inputs whose last axis has length 3, got shape \(4, 5\)"
    with pytest.raises(ValueError, match=message):
        Linear(3, 2)(random(4, 5))
    with pytest.raises(TypeError, match=r"Embedding\(4, 3\): ids must be integers, got dtype float64"):
        Embedding(4, 3)(np.array([0.0, 1.0]))
    with pytest.raises(IndexError, match=r"Embedding\(4, 3\): ids must lie in \[0, 4\), got 4"):
        Embedding(4, 3)(np.array([0, 4]))
    with pytest.raises(ValueError, match="MLP: unknown activation 'swish'"):
        MLP(2, [2], activation="swish")


# ---- state_dict, save and load ---------------------------------------------------------------------------


def test_state_dict_is_a_copy_of_every_parameter():
    model = Block()
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert all(isinstance(a, np.ndarray) for a in state.values())
    state["scale"][0] = 99.0
    assert model.scale.data[0] == 1.0


def test_save_and_load_round_trip_through_npz(tmp_path):
    model, other = MLP(3, [4, 2], rng=0), MLP(3, [4, 2], rng=1)
    x = random(2, 3)
    assert not np.allclose(model(x).data, other(x).data)
    path = tmp_path / "mlp.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays, no pickles
        assert sorted(archive.files) == sorted(model.state_dict())
    assert other.load(path) is other
    np.testing.assert_array_equal(model(x).data, other(x).data)
    other.parameters()[0].data += 1.0  # the loaded arrays are the model's own, not the archive's
    assert not np.array_equal(model.parameters()[0].data, other.parameters()[0].data)
    model.save(tmp_path / "weights")  # written under exactly the name given: no ".npz" appended
    np.testing.assert_array_equal(other.load(tmp_path / "weights")(x).data, model(x).data)


def test_load_state_dict_reports_every_mismatch_and_changes_nothing():
    model = MLP(3, [4, 2])
    before = model.state_dict()
    state = MLP(3, [5, 2]).state_dict()
    state["extra.weight"] = np.zeros(1)
    del state["layers.1.bias"]
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(state)
    message = str(caught.value)
    assert message.startswith("load_state_dict into MLP: missing ['layers.1.bias']; unexpected ['extra.weight']")
    assert "layers.0.weight has shape (3, 4) here but (3, 5) in the state" in message
    assert "layers.1.weight has shape (4, 2) here but (5, 2) in the state" in message
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


# ---- checkpoints: validated before anything changes; any parameter name; clear errors -----------


class _TwoParameters(Module):
    def __init__(self):
        self.file = Tensor(np.ones(2), requires_grad=True)  # a name np.savez(file, **state) cannot take
        self.w = Tensor(np.ones(3), requires_grad=True)


def test_a_parameter_named_file_saves_and_loads(tmp_path):
    model = _TwoParameters()
    model.file.data = np.array([3.0, 4.0])
    model.save(tmp_path / "m.npz")
    other = _TwoParameters().load(tmp_path / "m.npz")
    np.testing.assert_array_equal(other.file.data, [3.0, 4.0])


@pytest.mark.parametrize(
    "state, fragment",
    [
        ({"file": np.array([1.0, np.nan]), "w": np.full(3, 5.0)}, "file holds NaN or infinity"),
        ({"file": np.array([1j, 2.0]), "w": np.full(3, 5.0)}, "file holds complex128 values"),
        ({"file": np.array(["a", "b"]), "w": np.full(3, 5.0)}, "file holds <U1 values"),
        ({"file": np.ones(3), "w": np.full(3, 5.0)}, "file has shape (2,) here but (3,)"),
    ],
)
def test_a_bad_state_leaves_the_model_untouched(state, fragment):
    model = _TwoParameters()
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(state)
    assert fragment in str(caught.value)
    np.testing.assert_array_equal(model.w.data, np.ones(3))  # w's good values were not copied in either


def test_a_state_of_tensors_loads_like_arrays():
    model = _TwoParameters().load_state_dict({"file": Tensor([3.0, 4.0]), "w": np.zeros(3)})
    np.testing.assert_array_equal(model.file.data, [3.0, 4.0])


def test_files_that_are_no_checkpoint_get_clear_errors(tmp_path):
    model = _TwoParameters()
    model.save(tmp_path / "good.npz")
    np.save(tmp_path / "one.npy", np.ones(2))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "good.npz").read_bytes()[:60])
    import zipfile

    with zipfile.ZipFile(tmp_path / "pickled.npz", "w") as archive, archive.open("file.npy", "w") as member:
        np.lib.format.write_array(member, np.array([object()], dtype=object), allow_pickle=True)
    cases = [
        ("missing.npz", FileNotFoundError, "there is no file"),
        ("one.npy", ValueError, "holds a single array (.npy)"),
        ("cut.npz", ValueError, "is not an .npz written by save"),
        ("pickled.npz", ValueError, "pickled objects, which are refused"),
    ]
    for name, error, fragment in cases:
        with pytest.raises(error) as caught:
            model.load(tmp_path / name)
        assert fragment in str(caught.value), name
    np.testing.assert_array_equal(model.file.data, np.ones(2))
