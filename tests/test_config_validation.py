"""A malformed config is rejected by the real `snakemake -n` before any job runs.

Each case edits one thing in a small valid config, runs Snakemake in a copy of the
pipeline that has already been run once, and checks the message (key path, bad value,
what is allowed), that there is no traceback to read, and that no file under results/
or reports/ was created or changed.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, copy_pipeline, load_test_config, snakemake

from backprop_lab.configuration import ConfigError, validate_config

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"

TINY_HAND_222: dict[str, Any] = {
    "x": [0.5, 0.3],
    "y": [0.23, -0.07],
    "weights": [0.2, -0.4, 0.5, 0.6, 0.1, -0.5, -0.3, 0.8],
    "checkpoints": [10],
    "baseline": {
        "engine": "numpy",
        "hidden_activation": "sigmoid",
        "output_activation": "sigmoid",
        "loss": "half_sse",
        "step": 1.0,
        "rounds": 20,
        "init": "specified",
        "init_std": 1.0,
        "sigmoid_impl": "builtin",
    },
    "axes": {
        "engine": {"numpy": {"engine": "numpy"}},
        "step_rounds": {"grid": {"step": [0.5, 1.0]}},
    },
}


def tiny_config() -> dict[str, Any]:
    """The test config cut down to a few numpy jobs: suite 1 above, one variant per other suite."""
    config = load_test_config()
    config.update(report={"title": "Tiny"}, seeds=[0], hand_222=copy.deepcopy(TINY_HAND_222))
    for suite in ("gradient_equality", "classification", "playground"):
        if suite in config:
            config[suite]["axes"] = {"engine": {"numpy": {"engine": "numpy"}}}
    return config


TINY = tiny_config()


def _base(c: dict) -> dict:
    return c["hand_222"]["baseline"]


def _variant(c: dict) -> dict:
    return c["hand_222"]["axes"]["engine"]["numpy"]


# (case id, edit of the valid config, strings the message must contain:
#  the key path, the bad value, and what is allowed)
Case = tuple[str, Callable[[dict], Any], tuple[str, ...]]
CASES: list[Case] = [
    (
        "nan-weight",
        lambda c: c["hand_222"]["weights"].__setitem__(3, float("nan")),
        ("hand_222.weights.3", "nan is not allowed", "a finite number"),
    ),
    (
        "inf-target",
        lambda c: c["hand_222"]["y"].__setitem__(0, float("inf")),
        ("hand_222.y.0", "inf is not allowed", "a finite number"),
    ),
    (
        "nan-step",
        lambda c: _base(c).update(step=float("nan")),
        ("hand_222.baseline.step", "nan is not allowed", "a finite number"),
    ),
    (
        "checkpoint-beyond-every-run",
        lambda c: c["hand_222"].update(checkpoints=[10, 5000]),
        ("hand_222.checkpoints", "[5000]", "rounds up to 20"),
    ),
    (
        "typo-top-level-key",
        lambda c: c.update(seed=[0]),
        (
            "(top level)",
            "'seed'",
            "allowed keys: budget, classification, gradient_equality, hand_222, playground, "
            "report, seed_jobs, seeds",
        ),
    ),
    (
        "typo-baseline-key",
        lambda c: _base(c).update(stpe=0.5),
        ("hand_222.baseline", "'stpe'", "allowed keys:", "step"),
    ),
    (
        "typo-variant-key",
        lambda c: _variant(c).update(hiden_activation="relu"),
        ("hand_222.axes.engine.numpy", "'hiden_activation'", "hidden_activation"),
    ),
    (
        "step-zero",
        lambda c: _base(c).update(step=0),
        ("hand_222.baseline.step", "0 is not allowed", "greater than 0"),
    ),
    (
        "step-negative",
        lambda c: _base(c).update(step=-1.5),
        ("hand_222.baseline.step", "-1.5", "greater than 0"),
    ),
    (
        "step-text",
        lambda c: _base(c).update(step="fast"),
        ("hand_222.baseline.step", "'fast'", "a number"),
    ),
    (
        "rounds-zero",
        lambda c: _base(c).update(rounds=0),
        ("hand_222.baseline.rounds", "0 is not allowed", "at least 1"),
    ),
    (
        "rounds-fraction",
        lambda c: _base(c).update(rounds=2.5),
        ("hand_222.baseline.rounds", "2.5", "an integer"),
    ),
    (
        "unknown-activation",
        lambda c: _base(c).update(hidden_activation="softplus"),
        (
            "hand_222.baseline.hidden_activation",
            "'softplus'",
            "sigmoid, sigmoid_clip, relu, tanh, identity",
        ),
    ),
    (
        "unknown-loss",
        lambda c: _base(c).update(loss="l2"),
        ("hand_222.baseline.loss", "'l2'", "half_sse"),
    ),
    (
        "unknown-engine",
        lambda c: _variant(c).update(engine="jax"),
        ("hand_222.axes.engine.numpy.engine", "'jax'", "numpy, torch"),
    ),
    (
        "unknown-init",
        lambda c: _base(c).update(init="xavier"),
        ("hand_222.baseline.init", "'xavier'", "specified, zeros, normal, uniform"),
    ),
    (
        "seven-weights",
        lambda c: c["hand_222"].update(weights=[0.1] * 7),
        ("hand_222.weights", "[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]", "exactly 8"),
    ),
    (
        "nine-weights",
        lambda c: c["hand_222"].update(weights=[0.1] * 9),
        ("hand_222.weights", "0.1]", "exactly 8"),
    ),
    (
        "weight-text",
        lambda c: c["hand_222"]["weights"].__setitem__(3, "w4"),
        ("hand_222.weights.3", "'w4'", "a number"),
    ),
    ("seed-negative", lambda c: c.update(seeds=[0, -1]), ("seeds.1", "-1", "at least 0")),
    ("seed-fraction", lambda c: c.update(seeds=[1.5]), ("seeds.0", "1.5", "an integer")),
    (
        "seed-repeated",
        lambda c: c.update(seeds=[3, 3]),
        ("seeds", "[3, 3]", "each value at most once"),
    ),
    (
        "axis-name-escapes-results",
        lambda c: c["hand_222"]["axes"].update({"../evil": {"a": {}}}),
        ("hand_222.axes", "'../evil'", "not a safe name"),
    ),
    (
        "variant-name-escapes-results",
        lambda c: c["hand_222"]["axes"]["engine"].update({"../../etc": {}}),
        ("hand_222.axes.engine", "'../../etc'", "not a safe name"),
    ),
    (
        "variant-name-with-space",
        lambda c: c["hand_222"]["axes"]["engine"].update({"a b": {}}),
        ("hand_222.axes.engine", "'a b'", "not a safe name"),
    ),
    (
        "empty-title",
        lambda c: c["report"].update(title=""),
        ("report.title", "''", "at least 1 character"),
    ),
    (
        "missing-rounds",
        lambda c: _base(c).pop("rounds"),
        ("hand_222.baseline", "'rounds'", "required"),
    ),
    (
        "checkpoint-zero",
        lambda c: c["hand_222"].update(checkpoints=[0]),
        ("hand_222.checkpoints.0", "0 is not allowed", "at least 1"),
    ),
    (
        "grid-value-negative-step",
        lambda c: c["hand_222"]["axes"]["step_rounds"]["grid"].update(step=[0.5, -2]),
        ("hand_222.axes.step_rounds.grid.step.1", "-2", "greater than 0"),
    ),
    (
        "grid-unknown-key",
        lambda c: c["hand_222"]["axes"]["step_rounds"]["grid"].update(stepp=[1]),
        ("hand_222.axes.step_rounds.grid", "'stepp'", "step, rounds"),
    ),
    (
        "bce-needs-sigmoid-output",
        lambda c: _variant(c).update(loss="bce", output_activation="identity"),
        ("hand_222.axes.engine.numpy.loss", "'bce'", "output_activation must be 'sigmoid'"),
    ),
]
CASES += [
    # the size of the work, estimated before any job runs, against its budget
    (
        "over-cpu-budget",
        lambda c: _base(c).update(rounds=1_000_000) or c.update(budget={"cpu_hours": 0.001}),
        ("budget.cpu_hours", "over the budget of 0.001 CPU-hours", "hand_222/", "rounds 1000000"),
    ),
    (
        "over-memory-budget",
        lambda c: c.update(budget={"job_memory_gb": 0.01}),
        ("budget.job_memory_gb", "over the budget of 0.01 GB", "--config 'budget={job_memory_gb"),
    ),
    (
        "budget-unknown-key",
        lambda c: c.update(budget={"gpu_hours": 1}),
        ("budget", "'gpu_hours'", "allowed keys: cpu_hours, disk_gb, job_memory_gb"),
    ),
]
if "gradient_equality" in TINY:
    CASES += [
        (
            "gradient_equality-width-zero",
            lambda c: c["gradient_equality"]["baseline"].update(hidden=[10, 0]),
            ("gradient_equality.baseline.hidden.1", "0 is not allowed", "at least 1"),
        ),
        (
            "gradient_equality-typo-key",
            lambda c: c["gradient_equality"].update(n_sample=3),
            ("gradient_equality", "'n_sample'", "n_samples"),
        ),
    ]
if "classification" in TINY:
    CASES += [
        (
            "classification-unknown-task",
            lambda c: c["classification"]["baseline"].update(task="xnor"),
            ("classification.baseline.task", "'xnor'", "xor, linear"),
        ),
        (
            "classification-unknown-update-rule",
            lambda c: c["classification"]["baseline"].update(update_rule="rmsprop"),
            ("classification.baseline.update_rule", "'rmsprop'", "sgd, momentum, nesterov, adam"),
        ),
        (
            "classification-batch-size-zero",
            lambda c: c["classification"]["baseline"].update(batch_size=0),
            ("classification.baseline.batch_size", "0"),
        ),
        (
            "classification-variant-escapes-results",
            lambda c: c["classification"]["axes"]["engine"].update({"../x": {}}),
            ("classification.axes.engine", "'../x'", "not a safe name"),
        ),
    ]
if "playground" in TINY:
    CASES += [
        (
            "playground-unknown-schedule",
            lambda c: c["playground"]["baseline"].update(schedule="cosine"),
            ("playground.baseline.schedule", "'cosine'", "constant, linear, step, inverse_time"),
        ),
    ]
if "timing" in TINY:
    CASES += [
        (
            "timing-width-zero",
            lambda c: c["timing"]["networks"][next(iter(c["timing"]["networks"]))].update(
                widths=[2, 0, 2]
            ),
            ("timing.networks.", "widths.1", "at least 1"),
        ),
    ]


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under results/ and reports/: its mtime and content digest."""
    files = {}
    for top in ("results", "reports"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                files[path.relative_to(root).as_posix()] = (path.stat().st_mtime_ns, digest)
    return files


@pytest.fixture(scope="module")
def ran_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the pipeline run once on the tiny config, and its files' snapshot."""
    work = copy_pipeline(tmp_path_factory.mktemp("validation"), TINY)
    snakemake(work, "--cores", "2")
    snapshot = _snapshot(work)
    assert any(p.startswith("results/runs/") for p in snapshot)
    assert "reports/report.html" in snapshot
    return work, snapshot


# exactly how many malformed configs the real `snakemake -n` must reject: a case lost from
# the list (or a new one not rejected) changes the count
EXPECTED_CASES = 42


def test_the_tiny_config_is_valid() -> None:
    validate_config(copy.deepcopy(TINY), SCHEMA)


def test_cases_are_distinct() -> None:
    configs = []
    for _, edit, _ in CASES:
        config = copy.deepcopy(TINY)
        edit(config)
        configs.append(yaml.safe_dump(config, sort_keys=True))
    assert len(CASES) == EXPECTED_CASES
    assert len(set(configs)) == len(CASES)


@pytest.fixture(scope="module")
def rejections(ran_copy: tuple[Path, dict]) -> dict[str, tuple[int, str, bool]]:
    """Each malformed config through the real `snakemake -n` in a copy of the run pipeline:
    case id -> (exit status, output, files unchanged). Two copies work through the cases
    side by side; only config/config.yaml changes between cases, never results/ or reports/.
    """
    work, before = ran_copy
    workers = 2

    def attempt_all(worker: int) -> list[tuple[str, tuple[int, str, bool]]]:
        # copy2 keeps every mtime, so the snapshot of the copy equals the original's
        dest = work.parent / f"worker-{worker}"
        shutil.copytree(work, dest, symlinks=True)
        config_file = dest / "config" / "config.yaml"
        results = []
        for name, edit, _ in CASES[worker::workers]:
            config = copy.deepcopy(TINY)
            edit(config)
            config_file.write_text(yaml.safe_dump(config, sort_keys=False))
            done = snakemake(dest, "-n", "--cores", "1", check=False, timeout=300)
            results.append(
                (name, (done.returncode, done.stdout + done.stderr, _snapshot(dest) == before))
            )
        shutil.rmtree(dest)
        return results

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pair for chunk in pool.map(attempt_all, range(workers)) for pair in chunk)


@pytest.mark.parametrize("name, expected", [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_snakemake_rejects_malformed_config(
    rejections: dict[str, tuple[int, str, bool]], name: str, expected: tuple[str, ...]
) -> None:
    returncode, output, unchanged = rejections[name]
    assert returncode != 0, output
    message = next(
        (
            line
            for line in output.splitlines()
            if line.startswith("Invalid configuration: config key ")
        ),
        None,
    )
    assert message, f"no configuration message in:\n{output}"
    for text in expected:
        assert text in message, f"{text!r} missing from: {message}"
    # nothing for the user to wade through: no Python or Snakemake trace
    assert "Traceback" not in output and 'File "' not in output, output
    assert unchanged, "a result or report file was created or changed"


def test_every_case_was_rejected(rejections: dict[str, tuple[int, str, bool]]) -> None:
    rejected = [
        n
        for n, (code, out, same) in rejections.items()
        if code != 0 and "Invalid configuration: config key " in out and same
    ]
    assert len(rejected) == len(CASES) == EXPECTED_CASES


@pytest.mark.parametrize(
    "edit, expected",
    [
        # Rules across keys, which the schema cannot express: checked by validate_config.
        (
            lambda c: _variant(c).update(sigmoid_impl="hand"),
            ("hand_222.axes.engine.numpy.sigmoid_impl", "'hand'", "engine: torch"),
        ),
        (
            lambda c: c["hand_222"]["axes"]["step_rounds"]["grid"].update(
                hidden_activation=["relu", "gelu"]
            ),
            (
                "hand_222.axes.step_rounds.grid.hidden_activation.1",
                "'gelu'",
                "sigmoid, sigmoid_clip, relu",
            ),
        ),
        (
            lambda c: _variant(c).update(label=5),
            ("hand_222.axes.engine.numpy.label", "5", "a string"),
        ),
        (
            lambda c: c["hand_222"]["axes"].update(empty={}),
            ("hand_222.axes.empty", "{}", "at least 1"),
        ),
        (
            lambda c: _base(c).update(init_std=0),
            ("hand_222.baseline.init_std", "0", "greater than 0"),
        ),
        (lambda c: c.update(seeds=[True]), ("seeds.0", "True", "an integer")),
    ],
    ids=[
        "hand-sigmoid-needs-torch",
        "grid-unknown-activation",
        "label-not-text",
        "empty-axis",
        "init-std-zero",
        "seed-boolean",
    ],
)
def test_validate_config_names_key_value_and_allowed(
    edit: Callable[[dict], Any], expected: tuple[str, ...]
) -> None:
    config = copy.deepcopy(TINY)
    edit(config)
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    for text in expected:
        assert text in str(err.value), f"{text!r} missing from: {err.value}"
