"""tensorgrad: scalargrad's graph with a NumPy array in every node."""

from scalargrad.drawing import register_style
from tensorgrad import (
    attention,
    functional,
    nn,
    optim,
    positional,
    sampling,
    transformer,
)
from tensorgrad.anomaly import detect_anomaly
from tensorgrad.attention import scaled_dot_product_attention
from tensorgrad.autograd import grad
from tensorgrad.drawing import (
    GraphvizNotFoundError,
    TensorStyle,
    draw,
    render,
    step_through,
)
from tensorgrad.function import enable_grad
from tensorgrad.gradcheck import gradcheck
from tensorgrad.positional import (
    LearnedPositionalEmbedding,
    apply_rope,
    sinusoidal_positions,
)
from tensorgrad.rl import GRPOConfig, GRPOTrainer, advantages
from tensorgrad.routines import (
    clip,
    concatenate,
    matmul,
    maximum,
    minimum,
    one_hot,
    ones,
    stack,
    take_along_axis,
    where,
    zeros,
)
from tensorgrad.sampling import generate
from tensorgrad.tensor import (
    Function,
    Tensor,
    from_numpy,
    is_grad_enabled,
    no_grad,
    tensor,
)
from tensorgrad.tokenizer import CharTokenizer
from tensorgrad.transformer import GPT, MultiHeadAttention, TransformerBlock

# The one place that teaches the drawing module (scalargrad's, shared) to draw Tensors.
register_style(Tensor, TensorStyle)

__all__ = [
    "GPT",
    "CharTokenizer",
    "Function",
    "GRPOConfig",
    "GRPOTrainer",
    "GraphvizNotFoundError",
    "LearnedPositionalEmbedding",
    "MultiHeadAttention",
    "Tensor",
    "TransformerBlock",
    "advantages",
    "apply_rope",
    "attention",
    "clip",
    "concatenate",
    "detect_anomaly",
    "draw",
    "enable_grad",
    "from_numpy",
    "functional",
    "generate",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "matmul",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "one_hot",
    "ones",
    "optim",
    "positional",
    "render",
    "rl",
    "sampling",
    "scaled_dot_product_attention",
    "sinusoidal_positions",
    "stack",
    "step_through",
    "take_along_axis",
    "tensor",
    "transformer",
    "where",
    "zeros",
]

from tensorgrad import memory  # last: an allocator setting, not part of the API above

memory.keep_freed_memory()  # glibc keeps freed blocks for the next step; TENSORGRAD_KEEP_FREED_MEMORY=0 opts out
