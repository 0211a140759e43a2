"""§2 Expected value & variance: the post's two job offers, as weighted sums computed by tensorgrad.

Company A pays $100K for sure; Company B pays $50K base with a 50% chance of
a $120K bonus, so $50K or $50K + $120K = $170K at 50/50. The
expected value E[X] = Σ xᵢ·P(xᵢ) and the variance Var(X) = Σ (xᵢ − μ)²·P(xᵢ)
are dot products of outcomes (or squared distances) with probabilities, so
each is one ``@`` on tensors. The demo rebuilds the post's "1,000 parallel
universes" derivation, its squared-distance arithmetic, the claim that a
baseline moves the mean but not the variance, and "7 correct of 10 → 70%".
Nothing here trains, so ``fast`` is accepted and ignored.
"""

from pathlib import Path

from matplotlib.figure import Figure

from demos._plots import save
from demos._stepper import Step, figure, illustrative
from tensorgrad import tensor

TITLE = "§2 Expected value & variance: two job offers, one average, two very different spreads"

K = 1_000  # dollars per $K, the unit the post writes salaries in
BASE, BONUS, BONUS_CHANCE = 50_000, 120_000, 0.5  # Company B: "$50,000 base with a 50% chance of a $120,000 bonus"
WITH_BONUS = "170"  # $K: "so either $50K or $170K"
OFFERS = {  # salary in $ → probability
    "Company A": {100_000: 1.0},
    "Company B": {BASE: 1 - BONUS_CHANCE, BASE + BONUS: BONUS_CHANCE},
}
POST_MEAN = {"Company A": "100", "Company B": "110"}  # $K
POST_VARIANCE = {"Company A": "0", "Company B": "High"}  # $²
BILLION = 1e9  # Var(B) is shown in 10⁹ $²
UNIVERSES = 1_000  # "Company B's deal plays out across 1,000 parallel universes"
SHARE = "0.5"  # "500/1000 = 0.5 — that's just the probability!"
BONUS_ODDS = 0.9  # "What if the bonus had a 90% chance?"
INFLUENCE = "9"  # "An outcome that happens 90% of the time should have 9x the influence of one at 10%"
DISTANCE = "60"  # $K: "$50K is $60K below the mean. $170K is $60K above. Average distance = $60K"
BIG_GAP, SMALL_GAP = 60_000, 1_000  # $
BIG_SQUARE, SMALL_SQUARE, SQUARE_RATIO = "3,600,000,000", "1,000,000", "3,600"  # "... The big gap counts 3,600x more"
NARROW = {109_000: 0.5, 111_000: 0.5}  # "outcomes at $109K and $111K (tiny spread)"
SIGNED_SUM = "0"  # "both sum to zero"
BASELINES = (110_000, 50_000)  # constants subtracted from Company B's pay
ANSWERS = [1] * 7 + [0] * 3  # "7 correct answers and 3 wrong ones"
CORRECTNESS = "70"  # %
OFFERS_PNG = "expected_value_offers.png"


def steps(out_dir, fast=False):
    """The demo's steps; ``fast`` is ignored (nothing here trains)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [_two_offers(out_dir), _universes(), _variance(), _baseline(), _correctness()]


def _tensors(distribution):
    """(outcomes, probabilities) as float tensors."""
    return tensor([float(x) for x in distribution]), tensor(list(distribution.values()))


def mean(distribution):
    """E[X] = Σ xᵢ·P(xᵢ): one dot product."""
    x, p = _tensors(distribution)
    return (x @ p).item()


def variance(distribution):
    """Var(X) = Σ (xᵢ − μ)²·P(xᵢ): the expected squared distance from the mean, one more dot product."""
    x, p = _tensors(distribution)
    return (((x - x @ p) ** 2) @ p).item()


def _k(dollars):
    """$110K, as the post writes salaries."""
    return f"${dollars / K:.0f}K"


def _scientific(x):
    """3600000000.0 as 3.6e9."""
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _two_offers(out_dir):
    with_bonus = (tensor(float(BASE)) + tensor(float(BONUS))).item()
    (guaranteed,) = OFFERS["Company A"]
    step = Step("§2 Two job offers: the same question, two very different distributions")
    step.record("Company B's outcomes", (BASE, with_bonus))
    step.say(
        f"Company A pays {_k(guaranteed)}, guaranteed. Company B pays {_k(BASE)} base with a"
        f" {100 * BONUS_CHANCE:.0f}% chance of a {_k(BONUS)} bonus,",
        f"  so either {_k(BASE)} or {_k(BASE)} + {_k(BONUS)} = {_k(with_bonus)}:",
        figure("B's base + bonus, in $", WITH_BONUS, with_bonus / K, "K"),
    )
    for name, offer in OFFERS.items():
        mu, var = mean(offer), variance(offer)
        outcomes = " or ".join(f"{_k(x)} ({100 * p:.0f}%)" for x, p in offer.items())
        step.say(f"{name}: {outcomes}", figure(f"E[{name[-1]}] in $", POST_MEAN[name], mu / K, "K"))
        if POST_VARIANCE[name] == "High":
            step.record(f"Var({name[-1]}) and its standard deviation", (var, var**0.5))
            step.say(
                illustrative(
                    f"Var({name[-1]}), in 10⁹ $²",
                    POST_VARIANCE[name],
                    engine=var / BILLION,
                    note=f"the post gives no number; the engine computes Var(B) = {_scientific(var)} $²,"
                    f" a standard deviation √Var = {_k(var**0.5)}",
                )
            )
        else:
            step.say(figure(f"Var({name[-1]})", POST_VARIANCE[name], var, " $²"))
    step.say("B is worth more on average ($110K > $100K) but is a gamble: same question, different spread.")
    return step.show(_offers_picture(out_dir / OFFERS_PNG), "each offer's outcomes, mean and ±1 standard deviation")


def _universes():
    offer = OFFERS["Company B"]
    salaries = tensor([float(x) for x in offer])
    counts = tensor([UNIVERSES * p for p in offer.values()])  # 500 universes each
    average = (counts @ salaries).item() / UNIVERSES
    shares = counts / UNIVERSES
    weighted = (shares @ salaries).item()
    low, high = (_k(x) for x in offer)
    n_low, n_high = (f"{c:.0f}" for c in counts.data)
    likely_bonus = {BASE: 1 - BONUS_ODDS, BASE + BONUS: BONUS_ODDS}
    odds = tensor([BONUS_ODDS]) / tensor([1 - BONUS_ODDS])
    step = Step("§2 Why a weighted sum: Company B across 1,000 parallel universes")
    step.record(f"E[B] with a {100 * BONUS_ODDS:.0f}% chance of the bonus", mean(likely_bonus))
    return step.say(
        f"1  ({n_low} × {low} + {n_high} × {high}) / {UNIVERSES:,} = {_k(average)}",
        figure("average over 1,000 universes, in $", POST_MEAN["Company B"], average / K, "K"),
        f"2  distribute the division: ({n_low}/{UNIVERSES}) × {low} + ({n_high}/{UNIVERSES}) × {high}",
        f"3  {n_low}/{UNIVERSES} = {shares.data[0]}: the probability!",
        figure(f"{n_low}/{UNIVERSES}", SHARE, shares.data[0]),
        f"4  {shares.data[0]} × {low} + {shares.data[1]} × {high} = {_k(weighted)}: outcome × probability, summed",
        figure("E[B] = Σ x·P(x), in $", POST_MEAN["Company B"], weighted / K, "K"),
        f"With a {100 * BONUS_ODDS:.0f}% chance of the bonus instead (not a figure of the post):",
        f"  {1 - BONUS_ODDS:.1f} × {low} + {BONUS_ODDS} × {high} = {_k(mean(likely_bonus))}:"
        " the likely outcome dominates.",
        figure("influence of a 90% outcome over a 10% one", INFLUENCE, odds.item(), "x"),
    )


def _variance():
    offer = OFFERS["Company B"]
    x, p = _tensors(offer)
    mu = (x @ p).item()
    signed = x - mu
    distance = (signed.abs() @ p).item()
    narrow_x, narrow_p = _tensors(NARROW)
    narrow_signed = narrow_x - narrow_x @ narrow_p
    gaps = tensor([float(BIG_GAP), float(SMALL_GAP)])
    squares = gaps**2
    var = variance(offer)
    step = Step("§2 Variance: how far the outcomes scatter from the mean")
    for name, value in (("Var(B)", var), ("standard deviation of B", var**0.5), ("Var of $109K/$111K", variance(NARROW))):
        step.record(name, value)
    return step.say(
        f"Mean {_k(mu)}. " + ", ".join(_distance(xi, d) for xi, d in zip(x.data, signed.data)) + ".",
        figure("average distance from the mean, in $", DISTANCE, distance / K, "K"),
        "First attempt, signed distances: they cancel, whatever the spread.",
        figure("Σ signed distances, $50K/$170K", SIGNED_SUM, signed.sum().item()),
        figure("Σ signed distances, $109K/$111K", SIGNED_SUM, narrow_signed.sum().item()),
        "Fix: square them. Nothing cancels, and big gaps count far more than small ones:",
        figure(f"({_k(BIG_GAP)})²", BIG_SQUARE, squares.data[0], " $²"),
        figure(f"({_k(SMALL_GAP)})²", SMALL_SQUARE, squares.data[1], " $²"),
        figure("how much more the big gap counts", SQUARE_RATIO, (squares[0] / squares[1]).item(), "x"),
        f"Var(B) = Σ (x − μ)²·P(x) = {_scientific(var)} $² (standard deviation {_k(var**0.5)});"
        f" Var of $109K/$111K = {_scientific(variance(NARROW))} $².",
        "Same mean, wildly different variance: the square makes variance scream when outcomes spread out.",
    )


def _distance(x, signed):
    return f"{_k(x)} is {_k(abs(signed))} {'below' if signed < 0 else 'above'} the mean"


def _baseline():
    offer = OFFERS["Company B"]
    step = Step("§2 A baseline moves the mean, not the spread")
    step.say("Subtract a constant b from every outcome: E[X − b] = E[X] − b, Var(X − b) = Var(X).")
    for b in (0, *BASELINES):
        shifted = {x - b: p for x, p in offer.items()}
        step.record(f"b = {b}: E[B − b], Var(B − b)", (mean(shifted), variance(shifted)))
        step.say(
            f"  b = {_k(b):>5}   E[B − b] = {_k(mean(shifted)):>5}   Var(B − b) = {_scientific(variance(shifted))} $²"
        )
    return step.say(
        "The spread never changes. An RL baseline b is subtracted from the rewards R; what it shrinks is",
        "the noise of the gradient estimate (R − b) × ∇log p, whose expected direction stays the same (§17).",
    )


def _correctness():
    answers = tensor([float(a) for a in ANSWERS])
    weights = tensor([1 / len(ANSWERS)] * len(ANSWERS))  # each of the 10 answers, equally likely
    rate = (answers @ weights).item()
    spread = (((answers - rate) ** 2) @ weights).item()
    step = Step("§2 Correctness as an expected value: 7 right out of 10")
    step.record("Var of the scores", spread)
    return step.say(
        f"Score 1 per correct answer, 0 per wrong one: E[correct] = Σ score × 1/{len(ANSWERS)} = {rate}",
        figure("expected correctness", CORRECTNESS, 100 * rate, "%"),
        f"Var = Σ (score − {rate})² × 1/{len(ANSWERS)} = {spread:.2f}, which is p(1 − p) (standard deviation"
        f" {spread**0.5:.2f}):",
        "from one answer to the next, quality jumps between right and wrong.",
        "Making LLMs better means raising that mean while shrinking that spread.",
    )


def _offers_picture(path):
    picture = Figure(figsize=(6.4, 3.6), layout="constrained")
    panels = picture.subplots(1, len(OFFERS), sharey=True)
    for axes, (name, offer) in zip(panels, OFFERS.items()):
        mu, sd = mean(offer), variance(offer) ** 0.5
        xs = [x / K for x in offer]
        axes.bar(xs, list(offer.values()), width=12, color="tab:blue")
        for x, p in zip(xs, offer.values()):
            inside = p > 0.9  # a label above a bar of height 1 would need an axis past probability 1
            axes.text(x, p - 0.02 if inside else p + 0.02, f"{100 * p:.0f}%", ha="center", va="top" if inside
                      else "bottom", fontsize=8, color="white" if inside else "black", rotation=90 if inside else 0)
        axes.axvline(mu / K, color="tab:red", label=f"mean {_k(mu)}")
        axes.axvspan((mu - sd) / K, (mu + sd) / K, color="tab:red", alpha=0.12, label=f"±1 std ({_k(sd)})")
        axes.set_xlim(0, 220)
        axes.set_xlabel("salary ($K)")
        axes.set_title(name)
        axes.legend(loc="upper right", fontsize=8)
    panels[0].set_ylabel("probability")
    panels[0].set_ylim(0, 1)
    picture.suptitle("Two job offers: expected value and spread")
    return save(picture, path)
