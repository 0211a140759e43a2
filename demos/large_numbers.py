"""§3 The law of large numbers & self-consistency: coin flips converge, majority votes amplify accuracy.

Coin flips drawn with ``tensorgrad.sampling.sample`` show the share of heads
settling at 50% as the flips pile up. The post's flip counts are random
outcomes, so they are illustrative: the demo prints its own seeded outcome and
how likely a result at least as far from 50% as the post's is for a fair coin
(exact binomial sums).

Then self-consistency: a model right 60% of the time answers 10 times and the
majority wins. The post says "about 83%". The answer depends on the voting
rule, so the demo computes each rule exactly (binomial and multinomial sums)
and by a seeded simulation: a strict majority of right answers (63.3%), 5–5
ties broken by a coin (73.3%), a plurality vote where the wrong answers split
over several values, and the post's own arithmetic ("majority-wrong requires
at least 6 wrong answers", which counts a 5–5 tie as right: 83.4%). Nothing
here trains, so ``fast`` is accepted and ignored.
"""

import math
from itertools import count
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos._plots import save
from demos._solve import bisect
from demos._stepper import Step, figure, illustrative, verdict
from tensorgrad import tensor
from tensorgrad.sampling import sample

TITLE = "§3 The law of large numbers: more samples, closer to the truth; why majority votes work"

HEADS = 0.5  # a fair coin
FAIR = "50"  # "True probability: 50%"
CHECKPOINTS = ((1, "100"), (10, "70"), (100, "54"), (10_000, "50.2"))  # flips, the post's % heads
POST_COUNTS = {"heads": 5023, "tails": 4977}  # "Flip it 10,000 times: 5,023 heads, 4,977 tails"
TEN_FLIPS = {"heads": 7, "tails": 3}  # "Flip it 10 times: 7 heads, 3 tails"
SEEDS = (0, 1, 2, 3, 4)  # coin-flip runs; the first is the one quoted
ACCURACY, VOTERS = 0.6, 10  # "correct 60% of the time ... 10 independent samples"
POST_VOTE = "83"  # "a majority vote ... is correct about 83% of the time"
POST_VOTE_AGAIN = "~83"  # "Result: ~83% accuracy from a 60% model"
EXPECTED_COUNTS = {"correct": "6", "incorrect": "4"}  # "you'd expect about 6 correct and 4 incorrect"
STRONG = 0.7  # "If the model gets the answer right 70% of the time ... almost certainly right"
ALMOST_CERTAIN = "~100"  # "almost certainly right": read as a vote right nearly 100% of the time
WRONG_SPREADS = (1, 2, 3, 5, 10)  # rule (c): the 40% error mass split evenly over k wrong answers
PICTURED_SPREAD = 2  # rule (c) as simulated and pictured: two wrong answers, 20% each
SIMULATED_VOTES = 100_000
VOTE_SIZES = range(1, 26, 2)  # odd numbers of samples, for the picture
SEED = 0
PLOTTED_POINTS = 300  # flip counts drawn per curve
COIN_PNG = "large_numbers_coin.png"
VOTE_PNG = "large_numbers_votes.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    votes = _exact_votes()
    return [_coin(out_dir), _majority_vote(votes), _what_gives_83(votes, out_dir), _strong_model()]


# ---- coin flips ---------------------------------------------------------------------------------
def _coin(out_dir):
    coin = tensor([HEADS, 1 - HEADS])
    fair = (coin @ tensor([1.0, 0.0])).item()  # E[heads] = 1 × 0.5 + 0 × 0.5
    flips = max(n for n, _ in CHECKPOINTS)
    logits = np.broadcast_to(coin.log().data, (flips, 2))
    heads = np.stack([sample(logits, rng=np.random.default_rng(seed)).tokens == 0 for seed in SEEDS])
    running = np.cumsum(heads, axis=1) / np.arange(1, flips + 1)  # share of heads after each flip, per run
    quoted_heads = int(heads[0].sum())  # in the quoted run's 10,000 flips
    step = Step("§3 Flip a coin 1, 10, 100, 10,000 times: the share of heads closes in on 50%")
    step.say(
        f"A fair coin: E[heads] = 1 × {HEADS} + 0 × {1 - HEADS} per flip.",
        figure("true probability of heads", FAIR, 100 * fair, "%"),
        f"The post's flips are one random run; here is the engine's (tensorgrad.sampling.sample, seed {SEEDS[0]}).",
        "P: how often a fair coin lands at least that far from 50% (exact binomial sums).",
        *_first_flip(step, CHECKPOINTS[0][1], int(heads[0, 0])),
        *(_checkpoint(step, n, post, int(heads[0, :n].sum())) for n, post in CHECKPOINTS[1:]),
        *(
            _count(step, side, post, flips, got)
            for (side, post), got in zip(POST_COUNTS.items(), (quoted_heads, flips - quoted_heads))
        ),
        "The post's own counts agree with its percentages:",
        figure(
            f"{POST_COUNTS['heads']:,} of {flips:,} as a share",
            CHECKPOINTS[-1][1],
            100 * (tensor(float(POST_COUNTS["heads"])) / flips).item(),
            "%",
        ),
        figure(
            f"{TEN_FLIPS['heads']} heads of 10 as a share",
            CHECKPOINTS[1][1],
            100 * (tensor(float(TEN_FLIPS["heads"])) / sum(TEN_FLIPS.values())).item(),
            "%",
        ),
        "The typical miss (one standard error, 50/√n points) shrinks like 1/√n:",
        "  " + ", ".join(f"±{50 / math.sqrt(n):.1f} at {n:,} flips" for n, _ in CHECKPOINTS[1:]) + ".",
    )
    return step.show(_coin_picture(running, out_dir / COIN_PNG), f"share of heads vs number of flips, {len(SEEDS)} runs")


def _first_flip(step, post, got):
    """One flip: the post says it came up heads, which makes the share 1 of 1; the engine's own flip beside it."""
    share = step.record("heads after 1 flip: the post's outcome, heads, as a share", 100 * (tensor(1.0) / 1).item())
    step.record("heads after 1 flip: the engine's run", got)
    return [
        figure("heads after 1 flip", post, share, "%"),
        (f"  the post's flip came up heads, 1 of 1; the engine's first flip (seed {SEEDS[0]}) came up"
         f" {'heads' if got else 'tails'} (P = 0.50 either way)"),
    ]


def _checkpoint(step, n, post, got):
    """The share of heads after n flips: the engine's run beside the post's, each with its fair-coin P (recorded)."""
    post_heads = round(float(post) / 100 * n)
    name = f"heads after {n:,} flip{'s' if n > 1 else ''}"
    p_engine = step.record(f"{name}: P of the engine's run", _fair_tail(n, got))
    p_post = step.record(f"{name}: P of the post's", _fair_tail(n, post_heads))
    return illustrative(
        name,
        post,
        "%",
        engine=100 * got / n,
        note=f"seed {SEEDS[0]}: {got:,} of {n:,}, P = {p_engine:.2f}; the post's {post}% ({post_heads:,} of {n:,}): P = {p_post:.2f}",
    )


def _count(step, side, post, flips, got):
    """The post's count of ``side`` in ``flips`` flips beside the engine's, each with its fair-coin P (recorded)."""
    name = f"{side} in {flips:,} flips"
    p_engine = step.record(f"{name}: P of the engine's run", _fair_tail(flips, got))
    p_post = step.record(f"{name}: P of the post's", _fair_tail(flips, post))
    return illustrative(
        name,
        f"{post:,}",
        engine=got,
        note=f"seed {SEEDS[0]}: {got:,} {side}, P = {p_engine:.2f}; the post's {post:,}: P = {p_post:.2f}",
    )


def _fair_tail(n, heads):
    """P(|X − n/2| ≥ |heads − n/2|) for X ~ Binomial(n, 1/2), exact: Σ C(n, k) / 2ⁿ over the far k.

    C(n, k + 1) = C(n, k)·(n − k)/(k + 1) builds each coefficient from the last (exact integers).
    """
    gap, far, c = abs(2 * heads - n), 0, 1
    for k in range(n + 1):
        if abs(2 * k - n) >= gap:
            far += c
        c = c * (n - k) // (k + 1)
    return far / 2**n


# ---- majority votes -----------------------------------------------------------------------------
def _binomial(n, k, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def strict_majority(n, p):
    """(a) right only when more than half the n answers are right."""
    return sum(_binomial(n, k, p) for k in range(n // 2 + 1, n + 1))


def coin_flip_ties(n, p):
    """(b) as (a), but an n/2–n/2 tie is settled by a fair coin."""
    tie = _binomial(n, n // 2, p) if n % 2 == 0 else 0.0
    return strict_majority(n, p) + tie / 2


def ties_count_right(n, p):
    """The post's arithmetic: wrong only when at least n/2 + 1 answers are wrong, so a tie counts as right."""
    return sum(_binomial(n, k, p) for k in range((n + 1) // 2, n + 1))


def plurality(n, p, wrong):
    """(c) the most frequent answer wins, ties split evenly; ``wrong`` lists each wrong answer's probability.

    For each count r of right answers, the remaining n − r votes fall on the
    wrong answers (a multinomial); the right answer wins when every wrong
    answer has fewer than r votes, and wins a 1/(s + 1) share when s of them
    have exactly r. A small table over the wrong answers, one at a time,
    sums Π wᶜ/c! for each (votes used, answers tied at r).
    """
    total = 0.0
    for r in range(n + 1):
        left = n - r
        table = {(0, 0): 1.0}  # (votes used so far, wrong answers with exactly r votes) → Σ Π wᶜ/c!
        for w in wrong:
            grown = {}
            for (used, tied), weight in table.items():
                for c in range(min(r, left - used) + 1):
                    key = (used + c, tied + (c == r))
                    grown[key] = grown.get(key, 0.0) + weight * w**c / math.factorial(c)
            table = grown
        share = sum(weight / (tied + 1) for (used, tied), weight in table.items() if used == left)
        total += math.comb(n, r) * p**r * math.factorial(left) * share
    return total


def _even(k):
    """The wrong answers' probabilities when the model's error mass is split evenly over k of them."""
    return [(1 - ACCURACY) / k] * k


def _exact_votes():
    """Each rule's P(the vote is right) for the post's model (60%, 10 answers)."""
    return {
        "(a) strict majority, ≥6 of 10 right": strict_majority(VOTERS, ACCURACY),
        "(b) 5–5 tie settled by a coin flip": coin_flip_ties(VOTERS, ACCURACY),
        f"(c) plurality, error split over {PICTURED_SPREAD} wrong answers": plurality(
            VOTERS, ACCURACY, _even(PICTURED_SPREAD)
        ),
        "post: wrong only with ≥6 wrong (5–5 = right)": ties_count_right(VOTERS, ACCURACY),
    }


def _simulate_votes():
    """SIMULATED_VOTES votes of VOTERS answers each, drawn with tensorgrad.sampling.sample; P(right) per rule.

    Answer 0 is right (probability ACCURACY); answers 1..PICTURED_SPREAD are the wrong ones.
    """
    rng = np.random.default_rng(SEED)
    answers = [ACCURACY, *_even(PICTURED_SPREAD)]
    logits = np.broadcast_to(tensor(answers).log().data, (SIMULATED_VOTES, VOTERS, len(answers)))
    drawn = sample(logits, rng=rng).tokens
    counts = np.stack([(drawn == a).sum(axis=1) for a in range(len(answers))], axis=1)
    right, top_wrong = counts[:, 0], counts[:, 1:].max(axis=1)
    tied = (counts[:, 1:] == right[:, None]).sum(axis=1)
    coin = rng.random(SIMULATED_VOTES)
    half = VOTERS / 2
    return [
        (right > half).mean(),
        ((right > half) | ((right == half) & (coin < 0.5))).mean(),
        ((right > top_wrong) | ((right == top_wrong) & (coin < 1 / (tied + 1)))).mean(),
        (right >= half).mean(),
    ]


def _majority_vote(votes):
    expected = (tensor([ACCURACY, 1 - ACCURACY]) * VOTERS).data  # E[count] = n × p for each kind of answer
    simulated = _simulate_votes()
    step = Step("§3 Self-consistency: 10 answers from a 60% model, then a majority vote")
    step.record("P(vote right), exact", dict(votes))
    step.record("P(vote right), simulated", dict(zip(votes, simulated)))
    return step.say(
        f"Expected counts among {VOTERS} answers, n × p:",
        *(figure(f"expected {kind} answers", post, n) for (kind, post), n in zip(EXPECTED_COUNTS.items(), expected)),
        "\"So the majority vote is correct\" on average, but a vote is one draw: how often is it right?",
        f"  {'voting rule':50} exact    simulated ({SIMULATED_VOTES:,} votes, seed {SEED})",
        *(f"  {rule:50} {100 * p:5.1f}%   {100 * s:5.1f}%" for (rule, p), s in zip(votes.items(), simulated)),
        "A 5–5 split is where the rules part: it happens with P = "
        f"{100 * _binomial(VOTERS, VOTERS // 2, ACCURACY):.1f}%, and the post counts it as a win.",
    )


def _what_gives_83(votes, out_dir):
    strict, coin, spread, post_rule = votes.values()
    target = float(POST_VOTE) / 100
    samples_needed = next(n for n in count(1) if verdict(POST_VOTE, 100 * strict_majority(n, ACCURACY)) == "exact")
    p_strict = bisect(lambda p: strict_majority(VOTERS, p), target, 0.0, 1.0)
    p_coin = bisect(lambda p: coin_flip_ties(VOTERS, p), target, 0.0, 1.0)
    rest = 1 - ACCURACY
    smaller = bisect(lambda q: plurality(VOTERS, ACCURACY, [rest - q, q]), target, 0.0, rest / 2)
    step = Step("§3 Where does \"about 83%\" come from? Each voting rule, checked")
    spreads = {k: plurality(VOTERS, ACCURACY, _even(k)) for k in WRONG_SPREADS}
    for name, value in (
        ("(a) samples needed for 83%", samples_needed), ("(a) with those samples", strict_majority(samples_needed, ACCURACY)),
        ("(a) per-sample accuracy for 83%", p_strict), ("(b)", coin), ("(b) per-sample accuracy for 83%", p_coin),
        ("(c)", spread), ("(c) error split for 83%", (rest - smaller, smaller)), ("ties as right", post_rule),
        *((f"plurality, k = {k}", value) for k, value in spreads.items()),
    ):
        step.record(name, value)
    step.say(
        figure(
            "majority right, (a) strict majority ≥6 of 10",
            POST_VOTE,
            100 * strict,
            "%",
            would_give=f"5–5 ties counted as right give {100 * post_rule:.1f}%, as the post's explanation does",
        ),
        f"  (a) reaches 83% with {samples_needed} samples"
        f" ({100 * strict_majority(samples_needed, ACCURACY):.1f}%), or at {VOTERS} samples with"
        f" {100 * p_strict:.1f}% per-sample accuracy.",
        "The other rules one could mean, each against the post's 83%:",
        f"  (b) a 5–5 tie settled by a coin: {100 * coin:.1f}%; {100 * p_coin:.1f}% per-sample accuracy would give 83%.",
        f"  (c) plurality over {PICTURED_SPREAD} equally likely wrong answers: {100 * spread:.1f}%; the"
        f" {100 * rest:.0f}% error split {100 * (rest - smaller):.1f}% + {100 * smaller:.1f}% gives 83%.",
        f"  the post's explanation: wrong only with ≥6 wrong answers, so a 5–5 tie counts as right:"
        f" {100 * post_rule:.1f}%, its \"{POST_VOTE_AGAIN}%\".",
        f"  But a 5–5 split has no majority: counting it as a win is what turns {100 * strict:.0f}%"
        f" into {100 * post_rule:.0f}%.",
        "Plurality with the error spread evenly over k wrong answers (wrong answers split their votes):",
        "  " + "   ".join(f"k = {k}: {100 * value:.1f}%" for k, value in spreads.items()),
        "Every rule beats a single answer's 60%, and more samples push each one higher:",
    )
    return step.show(_vote_picture(votes, out_dir / VOTE_PNG), "P(vote right) vs number of samples, 60% model")


def _strong_model():
    rules = {"strict majority": strict_majority, "ties by coin": coin_flip_ties, "ties as right": ties_count_right}
    step = Step("§3 A 70% model with 10 samples: \"the majority vote is almost certainly right\"")
    found = {name: step.record(name, rule(VOTERS, STRONG)) for name, rule in rules.items()}
    shown = ", ".join(f"{name} {100 * p:.1f}%" for name, p in found.items())
    wrong = 1 - found["strict majority"]
    many = step.record(f"strict majority with {max(VOTE_SIZES)} samples", strict_majority(max(VOTE_SIZES), STRONG))
    return step.say(
        f"P(vote right), p = {STRONG}, {VOTERS} samples: {shown}.",
        figure("P(a 70% model's 10-sample majority vote is right), \"almost certainly\"", ALMOST_CERTAIN,
               100 * found["strict majority"], "%",
               would_give=f"a strict majority is right {100 * found['strict majority']:.1f}% of the time, ties counted"
                          f" as right {100 * found['ties as right']:.1f}%; {_samples_for(0.99)} samples give 99%"),
        f"Likely, but not certain: a strict majority still misses {100 * wrong:.0f}% of the time"
        f" (1 vote in {1 / wrong:.0f}).",
        f"With {max(VOTE_SIZES)} samples a strict majority is right {100 * many:.1f}% of the time:"
        " the law of large numbers at work.",
    )


def _samples_for(level):
    """The fewest (odd) samples whose strict majority, for the 70% model, is right at least ``level`` of the time."""
    return next(n for n in range(1, 201, 2) if strict_majority(n, STRONG) >= level)


# ---- pictures -----------------------------------------------------------------------------------
def _coin_picture(running, path):
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    n = np.unique(np.geomspace(1, running.shape[1], PLOTTED_POINTS).round().astype(int))  # even on a log axis
    band = 50 / np.sqrt(n)  # one standard error of the share of heads, in points
    axes.fill_between(n, 50 - band, 50 + band, color="tab:gray", alpha=0.25, label="±1 standard error (50/√n)")
    for seed, run in zip(SEEDS, running):
        axes.plot(n, 100 * run[n - 1], linewidth=1, label=f"seed {seed}")
    flips, shares = zip(*((k, float(post)) for k, post in CHECKPOINTS))
    axes.plot(flips, shares, "k*", markersize=10, label="the post's flips")
    axes.axhline(50, color="black", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_ylim(0, 100)
    axes.set_xlabel("number of flips (log scale)")
    axes.set_ylabel("share of heads so far (%)")
    axes.set_title(f"Share of heads in {len(SEEDS)} runs of a fair coin")
    axes.legend(loc="upper right", fontsize=8)
    return save(picture, path)


def _vote_picture(votes, path):
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    axes = picture.subplots()
    sizes = list(VOTE_SIZES)
    axes.plot(sizes, [100 * strict_majority(n, ACCURACY) for n in sizes], "o-", label="(a) strict majority")
    axes.plot(
        sizes,
        [100 * plurality(n, ACCURACY, _even(PICTURED_SPREAD)) for n in sizes],
        "s-",
        label=f"(c) plurality, {PICTURED_SPREAD} wrong answers",
    )
    for p, short, marker in zip(votes.values(), ("(a)", "(b) tie by coin", "(c)", "5–5 counts as right"), "o^sD"):
        axes.plot(VOTERS, 100 * p, marker, color="black", markerfacecolor="none")
        axes.annotate(short, (VOTERS, 100 * p), xytext=(7, -8), textcoords="offset points", fontsize=8)
    axes.axhline(float(POST_VOTE), color="tab:red", linestyle=":", label=f"the post's {POST_VOTE}% (at {VOTERS})")
    axes.axhline(100 * ACCURACY, color="tab:gray", linestyle="--", linewidth=0.8, label="one answer: 60%")
    axes.set_xlabel("number of samples voting")
    axes.set_ylabel("P(the vote is right) (%)")
    axes.set_title("Majority voting a 60%-accurate model")
    axes.legend(loc="lower right", fontsize=8)
    return save(picture, path)
