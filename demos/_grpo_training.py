"""The GRPO demo's training runs: pre-training a tiny GPT, measuring it, and the RL runs (``demos.grpo``).

``pretrain`` is cross-entropy on correct examples (§9); ``train_rl`` samples
G answers per question, rewards them with the verifier and hands them to
``tensorgrad.rl.GRPOTrainer`` (§15–§18), measuring held-out accuracy as it
goes. ``demos.grpo`` chooses the sizes (its ``Config``) and prints the results.
"""

import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from tqdm import tqdm

from demos._arithmetic import (
    IGNORE,
    MAX_ANSWER,
    PROMPT_LENGTH,
    TOKENIZER,
    completion_mask,
    examples,
    prompt_ids,
    rewards,
)
from tensorgrad import GPT, generate, optim
from tensorgrad.rl import GRPOConfig, GRPOTrainer

SEED = 0
BLOCK_SIZE = PROMPT_LENGTH + MAX_ANSWER
PRETRAIN_PROBE = 300  # training questions answered to decide when pre-training stops
PRETRAIN_CHECK_EVERY = 5  # pre-training steps between two looks at the probe
SAMPLING_TEMPERATURE = 1.0  # the policy π is the model's softmax itself, so the trainer's log π match the samples


# ---- the model: pre-training and evaluation ----------------------------------------------------
def new_model(config):
    """A float32 GPT of the config's shape, for the task's vocabulary and longest sequence."""
    return GPT(TOKENIZER.vocab_size, BLOCK_SIZE, config.dim, config.n_heads, config.n_layers,
               dtype=np.float32, rng=SEED)


def pretrain(config, train_pairs):
    """Cross-entropy on the answers of random training questions (§9), AdamW, stopped at ``pretrain_stop``.

    Every ``PRETRAIN_CHECK_EVERY`` steps the model answers ``PRETRAIN_PROBE`` training
    questions greedily; once it gets ``pretrain_stop`` of them right (or after
    ``pretrain_steps``), pre-training stops. Stopping at a level, not after a
    fixed number of steps, starts RL from the same skill whatever the seed:
    after 200 steps one seed's model is right 41% of the time, another's 91%.
    """
    rng = np.random.default_rng(SEED)
    model = new_model(config)
    optimizer = optim.AdamW(model.parameters(), lr=config.pretrain_lr, weight_decay=0.0)
    probe = train_pairs[:PRETRAIN_PROBE]
    losses = []
    with tqdm(range(1, config.pretrain_steps + 1), desc="pre-training", unit="step") as bar:
        for step in bar:
            inputs, targets = examples(train_pairs[rng.integers(0, len(train_pairs), config.pretrain_batch)])
            loss = model.loss(inputs, targets, ignore_index=IGNORE)
            optimizer.zero_grad()
            loss.backward()
            optim.clip_grad_norm(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
            if step % PRETRAIN_CHECK_EVERY == 0 and accuracy(model, probe) >= config.pretrain_stop:
                break
    return model, losses


def greedy_answers(model, pairs):
    """The model's answers to ``pairs`` with greedy decoding (§7): generated token ids (n, MAX_ANSWER)."""
    return generate(model, prompt_ids(pairs), MAX_ANSWER, BLOCK_SIZE, greedy=True).tokens


def accuracy(model, pairs):
    """The fraction of ``pairs`` the model answers right, greedy: what the verifier says, averaged."""
    return float(rewards(greedy_answers(model, pairs), pairs).mean())


def sampled_rewards(model, pairs, group, rng):
    """Rewards of ``group`` answers sampled at temperature 1 for each pair: an array (len(pairs), group)."""
    repeated = np.repeat(pairs, group, axis=0)
    out = generate(model, prompt_ids(repeated), MAX_ANSWER, BLOCK_SIZE, temperature=SAMPLING_TEMPERATURE, rng=rng)
    return rewards(out.tokens, repeated).reshape(len(pairs), group)


# ---- the RL runs -------------------------------------------------------------------------------
def grpo_config(config):
    """REINFORCE + group-mean baseline (÷ the group's spread) + clipping + KL leash: GRPO."""
    return GRPOConfig(baseline="group_mean", normalize_std=True, clip_eps_low=config.clip_eps,
                      kl_beta=config.kl_beta, inner_steps=config.inner_steps, lr=config.lr)


def ablation_configs(config):
    """GRPO with parts taken away; the rest (lr, KL leash) unchanged.

    REINFORCE loses the baseline and the clipping, and takes one update per batch of samples, as plain
    REINFORCE does (sample, update, sample again); "GRPO, no clipping" loses the clipping alone.
    """
    grpo = grpo_config(config)
    return {
        "REINFORCE": replace(grpo, baseline="none", normalize_std=False, clip_eps_low=None, inner_steps=1),
        "GRPO, no clipping": replace(grpo, clip_eps_low=None),
    }


@dataclass
class Run:
    """One RL run: the policy it trained, the trainer's statistics at every step, and held-out accuracy."""

    name: str
    rl: GRPOConfig
    model: GPT
    stats: list = field(default_factory=list)  # a GRPOStats per step
    evals: list = field(default_factory=list)  # (step, held-out accuracy), the first at step 0
    seconds: float = 0.0

    def series(self, name):
        return np.array([getattr(s, name) for s in self.stats])

    @property
    def clip_fraction(self):
        return self.series("clip_fraction_low") + self.series("clip_fraction_high")

    @property
    def final_accuracy(self):
        return self.evals[-1][1]

    @property
    def mean_accuracy(self):
        """Held-out accuracy averaged over every measurement, the one before RL included."""
        return float(np.mean([acc for _, acc in self.evals]))


def train_rl(name, rl, pretrained, config, train_pairs, held_out, n_steps, stop_at=None):
    """RL from a copy of ``pretrained``: sample, verify, ``GRPOTrainer.step``; stop at ``stop_at`` accuracy.

    Every run draws the same questions at each step (one generator, seeded
    alike); a batch is ``prompts`` questions × G sampled answers, the G
    answers of a question side by side, so the rewards reshape to
    (prompts, G), one row per group.
    """
    model = new_model(config)
    model.load_state_dict(pretrained.state_dict())
    trainer = GRPOTrainer(model, rl)
    questions = np.random.default_rng(SEED + 1)
    sampling = np.random.default_rng(SEED + 2)
    run = Run(name, rl, model, evals=[(0, accuracy(model, held_out))])
    start = time.perf_counter()
    with tqdm(range(1, n_steps + 1), desc=name, unit="step") as bar:
        for step in bar:
            pairs = np.repeat(train_pairs[questions.choice(len(train_pairs), config.prompts, replace=False)],
                              config.group, axis=0)
            prompts = prompt_ids(pairs)
            out = generate(model, prompts, MAX_ANSWER, BLOCK_SIZE, temperature=SAMPLING_TEMPERATURE, rng=sampling)
            ids = np.concatenate([prompts, out.tokens], axis=1)
            mask = np.concatenate([np.zeros(prompts.shape, dtype=bool), completion_mask(out.tokens)], axis=1)
            reward = rewards(out.tokens, pairs).reshape(config.prompts, config.group)
            with warnings.catch_warnings():  # low entropy is reported in the table instead (see demos.grpo)
                warnings.filterwarnings("ignore", message="GRPOTrainer.step: mean entropy")
                run.stats.append(trainer.step(ids, mask, reward))
            if step % config.eval_every == 0 or step == n_steps:
                run.evals.append((step, accuracy(model, held_out)))
                bar.set_postfix(reward=f"{run.stats[-1].reward_mean:.2f}", held_out=f"{run.final_accuracy:.2f}")
                if stop_at is not None and run.final_accuracy >= stop_at:
                    break
    run.seconds = time.perf_counter() - start
    return run


def save_curves(path, runs):
    """Every run's per-step statistics and accuracy measurements, as plain arrays (the numbers behind the plot)."""
    arrays = {}
    for i, run in enumerate(runs):
        evals = np.array(run.evals)
        arrays.update({
            f"run{i}_reward": run.series("reward_mean"), f"run{i}_entropy": run.series("entropy"),
            f"run{i}_kl": run.series("kl_exact"), f"run{i}_clip": run.clip_fraction,
            f"run{i}_eval_steps": evals[:, 0], f"run{i}_accuracy": evals[:, 1],
        })
    with open(path, "wb") as file:
        np.savez(file, names=np.array([run.name for run in runs]), **arrays)


def first_reaching(run, level):
    """The first step at which the run's held-out accuracy was measured at ``level`` or more (None: never)."""
    return next((step for step, acc in run.evals if acc >= level), None)
