"""The HTML report in a real browser: Debian's chromium, driven headless by Playwright.

Set-up: `bash tests/browser/install_chromium.sh` (`make test` runs it); playwright is
pinned in requirements.lock (never `playwright install`: its browser download does not
work here; the test launches /usr/bin/chromium). Outside CI the test skips when
chromium is missing; in CI (`CI` set) it must run.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_ENV = "BACKPROP_LAB_SCREENSHOT"


def _need_browser() -> None:
    missing = [
        what
        for what, ok in (
            (CHROMIUM, Path(CHROMIUM).exists()),
            ("the playwright package", _has_playwright()),
        )
        if not ok
    ]
    if missing and not os.environ.get("CI"):
        pytest.skip(
            f"{' and '.join(missing)} not installed (see tests/browser/install_chromium.sh)"
        )
    assert not missing, f"CI must run the browser test, but {' and '.join(missing)} is missing"


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def test_report_in_headless_chromium(test_run: Path, tmp_path: Path) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    report = test_run / "reports" / "report.html"
    url = report.resolve().as_uri()
    requests: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(url, wait_until="load")
            images = page.eval_on_selector_all(
                "img", "imgs => imgs.map(i => [i.getAttribute('alt'), i.complete, i.naturalWidth])"
            )
            headings = page.eval_on_selector_all(
                "h1, h2, h3, h4", "hs => hs.map(h => h.textContent.trim())"
            )
            scripts = page.eval_on_selector_all("script", "s => s.length")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    assert images, "the report has figures"
    broken = [alt for alt, complete, width in images if not complete or width <= 0]
    assert not broken, f"images that did not load: {broken}"
    assert not console_errors and not page_errors, console_errors + page_errors
    # fully offline: the page itself and data: URIs, nothing else
    foreign = [u for u in requests if u != url and not u.startswith("data:")]
    assert not foreign, f"requests that leave the file: {foreign}"
    assert scripts == 0, "the report runs no script"
    # every lab's section heading is on the page
    md = (test_run / "reports" / "report.md").read_text()
    sections = re.findall(r"^## (.+)$", md, re.MULTILINE)
    assert "The 2-2-2 network by hand" in sections, sections
    for title in sections:
        assert any(h.startswith(title) for h in headings), f"{title} heading missing: {headings}"
    assert shot.stat().st_size > 10_000
    if os.environ.get(SCREENSHOT_ENV):
        dest = Path(__file__).resolve().parents[1] / "reports" / "screenshots" / "report.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, dest)


# every element's handlers and URLs, as the browser sees them after parsing the page
UNSAFE = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.trim().toLowerCase();
      if (a.name.startsWith('on')) found.push(`${el.tagName} ${a.name}`);
      if (['href', 'src', 'action', 'formaction'].includes(a.name) && v.startsWith('javascript:'))
        found.push(`${el.tagName} ${a.name}=${a.value}`);
    }
  }
  return found;
}"""


def test_hostile_config_text_arms_nothing_in_the_browser(tmp_path: Path) -> None:
    """A title, labels and a worked example's texts ending in link, image, raw HTML and
    attribute syntax: in the rendered page no element carries an on… attribute and no URL
    uses javascript:."""
    _need_browser()
    from conftest import snakemake
    from playwright.sync_api import sync_playwright
    from test_robustness import hostile_pipeline

    work = hostile_pipeline(tmp_path / "hostile")
    snakemake(work, "--cores", "2")
    url = (work / "reports" / "report.html").resolve().as_uri()
    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="load")
            unsafe = page.evaluate(UNSAFE)
            for link in page.query_selector_all("a"):
                link.click(no_wait_after=True, timeout=2000, trial=False)
            title = page.title()
        finally:
            browser.close()
    assert not unsafe, unsafe
    assert not dialogs, dialogs
    assert title.startswith("Lab [x](javascript:")  # shown literally


# --- the set-up step on a machine that cannot install chromium -----------------------


@pytest.mark.parametrize("ci", ["", "true"])
def test_install_script_skips_outside_ci_and_fails_in_ci(tmp_path: Path, ci: str) -> None:
    """No apt-get (a macOS or Fedora laptop): outside CI the script says why and lets the
    other tests run; in CI it fails."""
    import subprocess

    bin_dir = tmp_path / "bin"  # a PATH with the shell's basics and no apt-get
    bin_dir.mkdir()
    for tool in ("id", "sudo"):
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    script = Path(__file__).parent / "browser/install_chromium.sh"
    env = {"PATH": str(bin_dir), "BACKPROP_LAB_CHROMIUM": str(tmp_path / "no-chromium"), "CI": ci}
    done = subprocess.run(
        ["/bin/bash", str(script)], env=env, capture_output=True, text=True, check=False
    )
    assert "no apt-get on this machine" in done.stderr
    if ci:
        assert done.returncode == 1 and "CI must run the browser test" in done.stderr
    else:
        assert done.returncode == 0 and "will be skipped" in done.stderr
