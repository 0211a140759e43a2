"""The two-moons data set, made from a seed: shared by the demos, the tests and the benchmarks."""

import math
import random


def two_moons(n=100, noise=0.1, seed=0):
    """n points on two interleaved half circles (like sklearn's make_moons), and their labels.

    Even-numbered points lie on the upper moon (label −1.0), odd-numbered ones
    on the lower moon (label +1.0), each nudged by Gaussian noise of standard
    deviation ``noise``. Returns ``(points, labels)``: a list of [x, y] pairs
    and a list of ±1.0, plain floats that either engine takes as they are.
    """
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1.0
        else:
            x, y, label = math.cos(t), math.sin(t), -1.0
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(label)
    return points, labels
