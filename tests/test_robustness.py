"""Robustness against what users do: diverging settings, kills, damaged files, hostile text.

Every test runs the real pipeline (Snakemake, in a temporary copy) on small configs.
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import SNAKEMAKE, copy_pipeline, load_test_config, snakemake

from backprop_lab.tables import is_wall_time_table

HOSTILE = "<script>alert(1)</script> \"quoted\" 'single' `tick` a|b *star* {onclick=x} ~t~ & ../up"
# at the end of a title or label, where Markdown's link, image, raw HTML and attribute
# syntax would apply if the text were not escaped
HOSTILE_END = " [x](javascript:a(1)) ![i](javascript:a(2)) <img src=x onerror=a(3)> {onclick=a(4)}"
# a label with both, less the mid-line braces (which would keep the end's from applying)
LABEL = HOSTILE.replace(" {onclick=x}", "") + HOSTILE_END
DIVERGING_STEP = 1_000_000.0  # identity activations: the loss explodes within a few rounds


def _small_config() -> dict[str, Any]:
    """The test config with suite 1 cut down to a few numpy jobs and the other suites to one."""
    config = load_test_config()
    hand_222 = config["hand_222"]
    hand_222["checkpoints"] = [10]
    hand_222["baseline"].update(
        rounds=20, hidden_activation="identity", output_activation="identity"
    )
    hand_222["axes"] = {
        # only the end payload: a brace pair earlier on the line would keep Markdown's
        # attribute syntax from applying at its end, and hide a missing escape
        "engine": {"numpy": {"engine": "numpy", "label": LABEL}},
        "step_rounds": {"grid": {"step": [0.1, DIVERGING_STEP]}},
    }
    config["seeds"] = [0]
    for suite in ("gradient_equality", "classification"):
        if suite in config:
            # a label in every lab (shown where the lab shows labels)
            config[suite]["axes"] = {
                "engine": {"numpy": {"engine": "numpy", "label": HOSTILE + HOSTILE_END}}
            }
    config["report"]["title"] = f"Lab{HOSTILE_END}"
    # a worked example whose every free text is hostile (hostile_pipeline writes it)
    config["worked"] = {
        "examples": ["hostile-examples"],
        "variants": {"relu": {"activation": "relu", "label": LABEL}},
    }
    return config


HOSTILE_EXAMPLE = {
    "title": f"Example{HOSTILE_END}",
    "source": HOSTILE,
    "note": LABEL,
    "network": {
        "layers": [["x1"], ["h1"], ["y1"]],
        "weights": {
            "w1": {"from": "x1", "to": "h1", "value": 0.5},
            "w2": {"from": "h1", "to": "y1", "value": -0.5},
        },
    },
    "data": [{"x": [1.0], "y": [0.5]}],
    "training": {"loss": "half_sse", "step": 0.5, "rounds": 5},
    "printed": [{"label": LABEL, "of": "out_h1", "text": "0.62"}],
}


def hostile_pipeline(dest: Path) -> Path:
    """A pipeline copy with the small hostile config and its hostile worked example."""
    import yaml

    work = copy_pipeline(dest, _small_config())
    (work / "hostile-examples").mkdir()
    (work / "hostile-examples/hostile.yaml").write_text(yaml.safe_dump(HOSTILE_EXAMPLE))
    return work


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run with a diverging variant and hostile text in the title and a label."""
    work = hostile_pipeline(tmp_path_factory.mktemp("hostile"))
    snakemake(work, "--cores", "2")
    return work


# --- divergence is a result ----------------------------------------------------------


def test_divergence_is_recorded_with_last_finite_values(hostile_run: Path) -> None:
    runs = sorted((hostile_run / "results/runs/hand_222/step_rounds").glob("*.json"))
    by_step = {
        json.loads(p.read_text())["settings"]["step"]: json.loads(p.read_text()) for p in runs
    }
    run = by_step[DIVERGING_STEP]
    k = run["result"]["diverged"][0]
    assert isinstance(k, int) and 1 < k <= 20
    loss = run["result"]["loss"][0]
    assert all(v is not None for v in loss[: k - 1]), "finite up to the divergence"
    assert by_step[0.1]["result"]["diverged"] == [None]
    summary = pd.read_csv(hostile_run / "reports/tables/hand_222_summary.csv")
    row = summary[summary["step"] == DIVERGING_STEP].iloc[0]
    assert row["diverged_round"] == k
    assert pd.notna(row["final_loss"]) and row["final_loss"] == max(
        v for v in loss if v is not None
    )
    assert summary.loc[summary["step"] == 0.1, "diverged_round"].isna().all()


def test_report_says_diverged_and_draws_figures(hostile_run: Path) -> None:
    summary = pd.read_csv(hostile_run / "reports/tables/hand_222_summary.csv")
    k = int(summary.loc[summary["step"] == DIVERGING_STEP, "diverged_round"].iloc[0])
    md = (hostile_run / "reports/report.md").read_text()
    assert f"at round {k}" in md
    assert not re.search(r"\bnan\b", md, re.IGNORECASE), "no NaN is printed"
    links = [line for line in md.splitlines() if line.startswith("![")]
    assert links
    for fig in (hostile_run / "reports/figures").glob("*.png"):
        assert fig.stat().st_size > 5_000, fig
    # matplotlib warns when an axis limit is NaN or infinite; the figures job logs warnings
    logs = sorted((hostile_run / "logs/figures").glob("*.log"))
    assert logs, "each lab's figures job writes its log"
    log = "".join(path.read_text() for path in logs)
    assert "Axis limits cannot be" not in log and "posx and posy should be finite" not in log


# --- escaping and injection ------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.handlers += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]
        self.handlers += [
            f"{tag} {name}={value}"
            for name, value in attrs
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:")
        ]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_config_text_is_escaped(hostile_run: Path) -> None:
    page = (hostile_run / "reports/report.html").read_text()
    tags = _Tags()
    tags.feed(page)
    assert tags.scripts == 0, "no live <script> from the config"
    assert not tags.handlers, tags.handlers
    text = "".join(tags.text)
    # shown literally: in the <title>, the heading and the label cell
    assert text.count(f"Lab{HOSTILE_END}") >= 2, "the title is shown as typed"
    assert text.count(LABEL) >= 1, "the label is shown as typed"
    # a worked example's title, source, note and variant label
    assert text.count(f"Example{HOSTILE_END}") >= 1, "the example's title is shown as typed"
    assert text.count(LABEL) >= 3, "the example's note and variant label are shown as typed"
    assert HOSTILE in text, "the example's source is shown as typed"
    md = (hostile_run / "reports/report.md").read_text()
    assert "<script>" not in md
    assert r"a\|b" in md and r"\*star\*" in md, "Markdown specials are escaped"


def test_unsafe_names_are_rejected_before_any_job(tmp_path: Path) -> None:
    for axis, variant in (("../evil", "a"), ("engine", "../evil"), ("engine", "x/../../y")):
        config = _small_config()
        config.pop("worked")  # its example folder is not written here
        config["hand_222"]["axes"][axis] = {variant: {}}
        work = copy_pipeline(tmp_path / f"case{len(list(tmp_path.iterdir()))}", config)
        done = snakemake(work, "-n", "--cores", "1", check=False)
        assert done.returncode != 0
        assert "is not a safe name" in done.stdout + done.stderr
        assert not (work / "results").exists() and not (work.parent / "evil").exists()


# --- corrupt or foreign intermediate files ---------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "damage, complaint",
    [
        ("truncate", "not valid JSON"),
        ("drop-key", "result lacks diverged"),
        ("foreign", "not a backprop-lab run file"),
    ],
)
def test_damaged_run_file_gives_clear_error(
    hostile_run: Path, tmp_path: Path, damage: str, complaint: str
) -> None:
    work = tmp_path / "work"
    shutil.copytree(hostile_run, work, symlinks=True)
    victim = work / "results/runs/hand_222/engine/numpy.json"
    text = victim.read_text()
    if damage == "truncate":
        victim.write_text(text[: len(text) // 2])
    elif damage == "drop-key":
        data = json.loads(text)
        del data["result"]["diverged"]
        victim.write_text(json.dumps(data))
    else:
        victim.write_text(json.dumps({"rows": [1, 2, 3]}))
    report = [work / "reports/report.md", work / "reports/report.html"]
    before = [_digest(p) for p in report]
    done = snakemake(work, "--cores", "2", check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "results/runs/hand_222/engine/numpy.json: " in output, output[-3000:]
    assert complaint in output
    assert "Traceback" not in output.split("Error in rule aggregate")[-1].split("Shutting down")[0]
    assert [_digest(p) for p in report] == before, "the report was not rebuilt from partial data"


# --- interruptions lose nothing --------------------------------------------------------


def test_sigkill_then_rerun_gives_the_same_tables(test_run: Path, tmp_path: Path) -> None:
    """Kill the whole Snakemake process group partway, rerun as the README says."""
    work = copy_pipeline(tmp_path / "work", Path(test_run / "config/config.yaml"))
    runs_dir = work / "results" / "runs"
    total = len(list((test_run / "results/runs").rglob("*.json")))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    start = time.monotonic()
    proc = subprocess.Popen(
        [SNAKEMAKE, "--cores", "2"],
        cwd=work,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            done = len(list(runs_dir.rglob("*.json"))) if runs_dir.exists() else 0
            if done >= 3 or proc.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = time.monotonic() - start
    done = len(list(runs_dir.rglob("*.json")))
    assert 0 < done < total, f"killed partway: {done} of {total} run files"
    assert not (work / "reports/report.html").exists()
    # the README's recovery: a SIGKILL leaves Snakemake's lock behind
    snakemake(work, "--unlock")
    rerun_start = time.monotonic()
    snakemake(work, "--cores", "2")
    rerun = time.monotonic() - rerun_start
    print(f"killed after {killed_at:.1f} s with {done}/{total} run files; rerun {rerun:.1f} s")
    assert not list(work.rglob("*.tmp")), "no temporary file is left behind"
    for table in sorted((test_run / "reports/tables").glob("*.csv")):
        if is_wall_time_table(table.stem):  # wall times differ from run to run
            continue
        assert (work / "reports/tables" / table.name).read_bytes() == table.read_bytes(), table.name
