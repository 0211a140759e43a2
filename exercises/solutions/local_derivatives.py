"""Reference solution: the local derivatives of sub, div, tanh and pow (§10)."""


def sub(a, b, out):
    return (1.0, -1.0)


def div(a, b, out):
    return (1 / b, -a / (b * b))


def tanh(a, out):
    return (1 - out * out,)  # the output squared: tanh is at hand, no need to compute it again


def power(a, k, out):
    return (k * a ** (k - 1), 0.0)
