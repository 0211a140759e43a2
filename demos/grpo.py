"""GRPO on a tiny GPT: the post's Part 5 (§15–§18) all at once, on a real model.

The four concepts have demos of their own (``demos.kl``, ``demos.reinforce``,
``demos.baselines``, ``demos.clipping``); here they work together. The task
is one the project defines itself (``demos._arithmetic``): additions such as
"27+35=" with an exact verifier. A tiny GPT is pre-trained on correct
examples (§9) and stopped while it is still often wrong. GRPO
(``tensorgrad.rl.GRPOTrainer``) then samples G answers per prompt, rewards the
right ones (§16), and learns from how each did against its group (§17), with
clipping (§18) and a KL leash to the pre-trained model (§15), until greedy
answers to held-out questions are right 95% of the time (90% in the tour's
``fast`` run). Two runs with parts
taken away ("ablations": plain REINFORCE, and GRPO without clipping), at the
same seed and step budget, show what the baseline and the clipping are for.
Every number printed is measured while the demo runs; ``fast=True`` keeps the
model and its pre-training and runs a short RL budget. The training itself
(pre-training, evaluation, the RL runs) is in ``demos._grpo_training``.
"""

import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from demos import catalog
from demos._arithmetic import (
    END,
    HIGH,
    LOW,
    MAX_ANSWER,
    TOKENIZER,
    answer,
    prompt,
    rewards,
    split,
)
from demos._grpo_training import (
    BLOCK_SIZE,
    PRETRAIN_CHECK_EVERY,
    PRETRAIN_PROBE,
    SAMPLING_TEMPERATURE,
    SEED,
    ablation_configs,
    accuracy,
    first_reaching,
    greedy_answers,
    grpo_config,
    pretrain,
    sampled_rewards,
    save_curves,
    train_rl,
)
from demos._plots import save
from demos._stepper import Step, figure, number

TITLE = "GRPO on a tiny GPT: §15–§18 together"



@dataclass(frozen=True)
class Config:
    """The model, its pre-training, and the RL runs."""

    dim: int
    n_heads: int
    n_layers: int
    pretrain_steps: int  # at most; stopped early on purpose, at pretrain_stop: the model must still be often wrong
    pretrain_stop: float  # greedy accuracy on training questions at which pre-training stops
    pretrain_batch: int
    pretrain_lr: float
    prompts: int  # questions per RL step
    group: int  # G: sampled answers per question, the group of §17
    target: float  # held-out accuracy at which GRPO stops
    max_steps: int  # GRPO stops at target, or here; the ablations get as many steps as GRPO took
    inner_steps: int  # μ: updates per batch of samples
    lr: float
    clip_eps: float
    kl_beta: float
    eval_every: int  # steps between two measurements of held-out accuracy


FULL = Config(dim=48, n_heads=4, n_layers=2, pretrain_steps=1000, pretrain_stop=0.6, pretrain_batch=64,
              pretrain_lr=3e-3, prompts=64, group=8, target=0.95, max_steps=250, inner_steps=2, lr=1e-3,
              clip_eps=0.2, kl_beta=0.05, eval_every=5)
FAST = replace(FULL, target=0.9, max_steps=150)  # the same model, pre-training and RL, to a lower target

PRETRAINED_NPZ = "grpo_pretrained.npz"
POLICY_NPZ = "grpo_policy.npz"
CURVES_NPZ = "grpo_curves.npz"
TRAINING_PNG = "grpo_training.png"

EXAMPLES = 6  # held-out questions shown before and after GRPO
POST_PARTS, POST_CONCEPTS = "5", "18"  # "5 Parts, 18 Concepts"


def steps(out_dir, fast=False):
    """Pre-train, run GRPO to the target, then the two ablations; ``fast`` runs the short RL budget (FAST)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = FAST if fast else FULL
    train_pairs, held_out = split(SEED)
    pretrained, losses = pretrain(config, train_pairs)
    pretrained.save(out_dir / PRETRAINED_NPZ)
    grpo = train_rl("GRPO", grpo_config(config), pretrained, config, train_pairs, held_out, config.max_steps,
                    stop_at=config.target)
    grpo.model.save(out_dir / POLICY_NPZ)
    budget = len(grpo.stats)
    ablations = [
        train_rl(name, rl, pretrained, config, train_pairs, held_out, budget)
        for name, rl in ablation_configs(config).items()
    ]
    runs = [grpo, *ablations]
    save_curves(out_dir / CURVES_NPZ, runs)
    return [
        _task_step(train_pairs, held_out),
        _pretraining_step(config, pretrained, losses, train_pairs, held_out),
        _grpo_step(config, grpo, pretrained, held_out, out_dir),
        _ablation_step(runs, budget, grpo.final_accuracy >= config.target, config.target, out_dir / TRAINING_PNG),
        _closing_step(),
    ]


# ---- the steps about the task and the runs -----------------------------------------------------
def _task_step(train_pairs, held_out):
    a, b = held_out[0]
    total = a + b
    # what a model might write in its MAX_ANSWER characters: right, off by one, unfinished, cut short
    tries = [f"{total}{END}", f"{total + 1}{END}", f"{total}{total % 10}", f"{total // 10}{END}{total % 10}"]
    verdicts = rewards(np.stack([TOKENIZER.encode(text) for text in tries]), [(a, b)] * len(tries))
    return Step("The task: two-digit additions with an exact verifier (demos._arithmetic)").say(
        f"Prompt {prompt(a, b)!r}, answer {answer(a, b)!r}: the numbers run from {LOW} to {HIGH}, the sums from"
        f" {2 * LOW} to {2 * HIGH},",
        f"and \"{END}\" ends the answer. {len(train_pairs) + len(held_out)} questions, split once by seed {SEED}:",
        f"  {len(train_pairs)} to train on (pre-training and RL prompts), {len(held_out)} held out, never trained on.",
        f"CharTokenizer over {TOKENIZER.chars!r}: {TOKENIZER.vocab_size} tokens.",
        f"The verifier reads the {MAX_ANSWER} generated characters; reward 1 only if the digits before the first"
        f" \"{END}\" spell the sum:",
        *(f"  {prompt(a, b)}{text}  → reward {number(r)}" for text, r in zip(tries, verdicts)),
        "The reward has no gradient: a program said yes or no (§16).",
    )


def _pretraining_step(config, model, losses, train_pairs, held_out):
    n_params = sum(p.size for p in model.parameters())
    held = accuracy(model, held_out)
    samples = sampled_rewards(model, held_out, config.group, np.random.default_rng(SEED + 3))
    probe = accuracy(model, train_pairs[:PRETRAIN_PROBE])
    step = Step(f"Pre-training (§9): {len(losses)} steps of cross-entropy on correct examples, then stop")
    step.record("held-out accuracy", held)
    step.record("steps", len(losses))
    step.record("training questions right at the stop", probe)
    return step.say(
        f"GPT(vocab {TOKENIZER.vocab_size}, block {BLOCK_SIZE}, dim {config.dim}, {config.n_heads} heads,"
        f" {config.n_layers} layers), float32, {n_params:,} parameters; AdamW lr {config.pretrain_lr},",
        f"  batches of {config.pretrain_batch} questions, loss on the answer characters only.",
        f"  loss {losses[0]:.3f} → {losses[-1]:.3f} nats per answer character (first and last batch)",
        f"  stopped on purpose once {probe:.3f} of {PRETRAIN_PROBE} training questions (≥ {config.pretrain_stop}) came"
        " out right,",
        f"  checked every {PRETRAIN_CHECK_EVERY} steps: still often wrong, so there is something to learn.",
        f"  held-out accuracy (greedy): {held:.3f} ({round(held * len(held_out))} of {len(held_out)})",
        f"  sampled at temperature {SAMPLING_TEMPERATURE}: {samples.mean():.3f} of answers right; for"
        f" {samples.any(axis=1).mean():.3f} of the questions",
        f"  at least one of {config.group} samples is right, for {samples.all(axis=1).mean():.3f} all are,"
        f" and {1 - samples.any(axis=1).mean():.3f} have none right.",
        "A group whose answers are all right or all wrong has no signal (every A = 0, §17):",
        "RL learns from the mixed ones.",
    )


def _grpo_step(config, run, pretrained, held_out, out_dir):
    reached = run.final_accuracy >= config.target
    flagged = sum(s.entropy_collapse for s in run.stats)
    table = ["   step   reward   held-out   entropy   KL(π‖π_ref)   clipped"]
    for step, acc in run.evals[1:]:
        s = run.stats[step - 1]
        table.append(f"  {step:5d}    {s.reward_mean:.3f}     {acc:.3f}     {s.entropy:.3f}       {s.kl_exact:.4f}"
                     f"      {s.clip_fraction_low + s.clip_fraction_high:.3f}")
    shown = table[:1] + _thin(table[1:], 12)
    wrong = held_out[rewards(greedy_answers(pretrained, held_out), held_out) == 0][:EXAMPLES]
    before, after = greedy_answers(pretrained, wrong), greedy_answers(run.model, wrong)
    answers = [f"  {prompt(a, b)}  {TOKENIZER.decode(old)} → {TOKENIZER.decode(new)}  {'right' if r else 'still wrong'}"
               for (a, b), old, new, r in zip(wrong, before, after, rewards(after, wrong))]
    short = not reached and config.max_steps < FULL.max_steps
    full_run = (f"  (a short run: `python -m demos grpo` without --fast trains up to {FULL.max_steps} steps"
                f" on {FULL.prompts} questions each)")
    step = Step(f"GRPO: {config.prompts} questions × G = {config.group} answers per step, until held-out accuracy"
                f" ≥ {config.target} (at most {config.max_steps} steps)")
    step.record("held-out accuracy before", run.evals[0][1])
    step.record("held-out accuracy after", run.final_accuracy)
    step.record("steps", len(run.stats))
    return step.say(
        f"Each step: sample {config.group} answers per question at temperature {SAMPLING_TEMPERATURE}, reward each"
        " with the verifier (§16);",
        "grade each on a curve: A = (R − the group's mean reward) / the group's spread (§17);",
        f"then μ = {config.inner_steps} AdamW updates (lr {config.lr}) on those same samples, each with the ratio"
        " r = π_new/π_old clipped",
        f"to [{1 - config.clip_eps:.1f}, {1 + config.clip_eps:.1f}] (ε = {config.clip_eps}, §18) and a KL leash"
        f" to the pre-trained model π_ref, β = {config.kl_beta}",
        "(§15; the KL estimated from the sampled tokens with k3, as in the KL demo).",
        "Columns: reward, the mean over the batch's sampled answers; held-out, greedy accuracy on questions never",
        "trained on; entropy (§8) and exact KL to the pre-trained model, means over the answer tokens; clipped,",
        "the fraction of answer tokens whose gradient the clipping switched off.",
        *shown,
        f"  held-out accuracy {run.evals[0][1]:.3f} → {run.final_accuracy:.3f} in {len(run.stats)} steps:"
        f" target {config.target} {'met' if reached else 'not reached'}  ({run.seconds:.1f} s)",
        *([full_run] if short else []),
        f"  entropy {run.stats[0].entropy:.3f} → {run.stats[-1].entropy:.3f} nats; below the trainer's collapse floor"
        f" ({run.rl.entropy_floor}) at {flagged} of {len(run.stats)} steps.",
        "  Falling entropy while accuracy rises is the model becoming sure of right answers;",
        "  entropy collapse (§8) is the same fall with accuracy stuck.",
        "Held-out questions the pre-trained model got wrong, answered greedily before → after GRPO:",
        *answers,
        f"  saved the policy to {out_dir / POLICY_NPZ}",
    )


def _ablation_step(runs, budget, reached, target, png):
    step = Step("Parts taken away: what the baseline and the clipping are for")
    lines = [
        "Two runs with parts of GRPO taken away: REINFORCE (no baseline, no clipping, one update per batch) and",
        f"GRPO without clipping. The same pre-trained model and the same questions at each step, {budget} steps each",
        "(as many as GRPO took). μ: updates per batch of samples. Held-out accuracy is measured every few steps;",
        "its mean over the run rewards learning early, not only the end:",
        "  run                baseline    clip    μ  held-out: start → end  mean   first ≥ 0.9  KL at the end  time",
    ]
    if not reached:
        lines.insert(0, f"A short run ({budget} steps, GRPO short of its target): too few to rank the three runs;"
                        " compare them in the full run (without --fast).")
    for run in runs:
        baseline = "none" if run.rl.baseline == "none" else "group mean"
        clip = "none" if run.rl.clip_eps_low is None else f"ε {run.rl.clip_eps_low}"
        first = first_reaching(run, 0.9)
        for part, value in (("baseline", baseline), ("clip ε", run.rl.clip_eps_low), ("μ", run.rl.inner_steps),
                            ("held-out start", run.evals[0][1]), ("held-out end", run.final_accuracy),
                            ("held-out mean", run.mean_accuracy)):
            step.record(f"{run.name}: {part}", value)
        lines.append(f"  {run.name:18} {baseline:10}  {clip:6}  {run.rl.inner_steps}  {run.evals[0][1]:.3f} →"
                     f" {run.final_accuracy:.3f}          {run.mean_accuracy:.3f}  "
                     f"{'never' if first is None else f'step {first}':11}  {run.stats[-1].kl_exact:.4f}"
                     f"         {run.seconds:.1f} s")
    for measure, best in (("final accuracy", max(runs, key=lambda r: r.final_accuracy)),
                          ("mean accuracy", max(runs, key=lambda r: r.mean_accuracy))):
        step.record(f"highest {measure}", best.name)
        lines.append(f"  highest {measure}: {best.name}")
    lines += [
        "REINFORCE (§16) uses the raw reward, A = R: with rewards 0 or 1 it pushes right answers up, gives wrong ones",
        "no push of their own, and how hard it pushes depends on how lucky the batch was. GRPO grades each answer on",
        "a curve, against the other answers to the same question (§17). Without clipping (§18), the μ updates on the",
        "same samples may move a token's probability far past 1 ± ε times the old one while the gradient still",
        "describes the old model: steering with a stale map. The picture shows how often GRPO's clipping stepped in,",
        "and how far each run drifted from the pre-trained model (KL).",
        "One seed, one run each: differences of a few points at the end are within the run-to-run noise.",
    ]
    return step.say(*lines).show(
        _plot_runs(runs, target, png), "the three runs, step by step")


def _closing_step():
    """The post's "5 Parts, 18 Concepts", counted in the tour's own table of contents (``demos.catalog``)."""
    opening = {name: re.match(r"§(\d+)", catalog.load(name).TITLE) for name in catalog.NAMES}
    sections = sorted({int(found.group(1)) for found in opening.values() if found})
    others = [name for name, found in opening.items() if not found]
    step = Step("The whole chain: \"5 Parts, 18 Concepts\", as the tour covers them")
    step.record("sections the demos open with", sections)
    return step.say(
        "\"You just covered 18 mathematical concepts in 5 parts\": the tour's table of contents, counted:",
        figure("parts", POST_PARTS, len(catalog.PARTS)),
        figure("concepts: the § sections the demos open with", POST_CONCEPTS, len(sections)),
        f"  §{sections[0]}–§{sections[-1]}, each with a demo of its own (§10 with three), and {len(others)} demos that",
        f"  put them all to work: {', '.join(others)}.",
    )


def _thin(rows, keep):
    """At most ``keep`` rows, evenly spaced, the first and last always among them."""
    if len(rows) <= keep:
        return rows
    return [rows[i] for i in np.linspace(0, len(rows) - 1, keep).round().astype(int)]


# ---- pictures ----------------------------------------------------------------------------------
def _plot_runs(runs, target, path):
    picture = Figure(figsize=(11, 6.4), layout="constrained")
    grid = picture.subplots(2, 3)
    panels = [
        (grid[0, 0], "reward (mean over sampled answers)", "reward_mean"),
        (grid[0, 2], "entropy of π (nats per answer token)", "entropy"),
        (grid[1, 0], "KL(π ‖ π_ref) per answer token", "kl_exact"),
    ]
    colors = ("tab:blue", "tab:orange", "tab:green")
    for axes, title, name in panels:
        for run, color in zip(runs, colors):
            axes.plot(range(1, len(run.stats) + 1), run.series(name), color=color, linewidth=1, label=run.name)
        axes.set_title(title)
        axes.set_xlabel("RL step")
    grpo = runs[0]
    clip_axes = grid[1, 1]
    for name, color, label in (("clip_fraction_high", "tab:blue", "A > 0, r > 1 + ε"),
                               ("clip_fraction_low", "tab:cyan", "A < 0, r < 1 − ε")):
        clip_axes.plot(range(1, len(grpo.stats) + 1), grpo.series(name), color=color, linewidth=1.2, label=label)
    clip_axes.set_title("GRPO's clip fraction (the other runs never clip)")
    clip_axes.set_xlabel("RL step")
    clip_axes.legend(fontsize=8)
    accuracy_axes = grid[0, 1]
    for run, color in zip(runs, colors):
        steps_, accs = zip(*run.evals)
        accuracy_axes.plot(steps_, accs, "o-", color=color, markersize=3, label=run.name)
    accuracy_axes.axhline(target, color="gray", linestyle="--", label=f"target {target}")
    accuracy_axes.set_title("held-out accuracy (greedy)")
    accuracy_axes.set_xlabel("RL step")
    accuracy_axes.set_ylim(0, 1)
    legend = grid[1, 2]
    legend.axis("off")
    legend.legend(*accuracy_axes.get_legend_handles_labels(), loc="center", title="runs (same seed, same questions)")
    picture.suptitle("GRPO vs GRPO with parts taken away, on two-digit addition")
    return save(picture, path)
