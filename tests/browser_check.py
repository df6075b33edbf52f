"""Render an HTML report in headless Chromium and report what a reader would see.

Used by ``tests/test_report_browser.py`` and, from the shell, to measure a
report (height in CSS pixels at a 1280-pixel-wide window)::

    python tests/browser_check.py radfuse-demo/report/report.html [--width 1280] [--screenshot shot.png]

prints one JSON object: ``images`` and ``broken`` (images that did not
decode), ``anchors`` and ``dangling`` (in-page links whose target id does
not exist), ``client_width``, ``scroll_width`` and ``overflowing`` (elements
reaching past the window that are not inside a sideways-scrolling box) and
``height`` (the page's scroll height).

The check is a copy of the page with a script appended that, on ``load``,
writes its findings into the DOM; ``chromium --dump-dom`` prints that DOM.
The report itself carries no script.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Debian's package name; CI installs it with ``apt-get install -y chromium``.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

_PROBE = """
<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const findings = {
    height: root.scrollHeight,
    client_width: root.clientWidth,
    scroll_width: root.scrollWidth,
  };
  const images = Array.from(document.images);
  findings.images = images.length;
  findings.broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const ids = new Set(Array.from(document.querySelectorAll("[id]")).map(e => e.id));
  const links = Array.from(document.querySelectorAll('a[href^="#"]'));
  findings.anchors = links.length;
  findings.dangling = links.map(a => a.getAttribute("href").slice(1)).filter(id => !ids.has(id));
  findings.overflowing = Array.from(document.body.querySelectorAll("*"))
    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 0.5)
    .filter(e => !e.closest(".figure-scroll, .table-scroll"))
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : ""))
    .slice(0, 20);
  const out = document.createElement("pre");
  out.id = "radfuse-browser-check";
  out.textContent = JSON.stringify(findings);
  document.body.appendChild(out);
});
</script>
"""


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(chromium: str, args: list[str], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="radfuse-chromium-") as profile:
        completed = subprocess.run(
            [chromium, *_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if completed.returncode != 0:
        raise RuntimeError(f"chromium exited with {completed.returncode}: {completed.stderr[-2000:]}")
    return completed.stdout


def check_page(page, *, width: int = 1280, chromium: str | None = None, timeout: float = 120) -> dict:
    """Load ``page`` in headless Chromium at ``width`` CSS pixels and return the findings."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("no Chromium found; install it with `apt-get install -y chromium`.")
    text = Path(page).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="radfuse-page-") as folder:
        probed = Path(folder) / "page.html"
        probed.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
        dom = _run(
            chromium,
            [f"--window-size={width},900", "--virtual-time-budget=20000", "--dump-dom", probed.as_uri()],
            timeout,
        )
    found = re.search(r'<pre id="radfuse-browser-check">(.*?)</pre>', dom, flags=re.S)
    if found is None:
        raise RuntimeError("the page's load event never fired in Chromium (no findings in the DOM).")
    return json.loads(html.unescape(found.group(1)))


def screenshot(page, path, *, width: int = 1280, height: int = 2400, chromium: str | None = None,
               timeout: float = 120) -> Path:
    """Save a PNG of the top ``height`` pixels of ``page`` as Chromium draws it."""
    chromium = chromium or find_chromium()
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    _run(chromium, [f"--window-size={width},{height}", f"--screenshot={path}", Path(page).resolve().as_uri()],
         timeout)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--screenshot", default=None)
    args = parser.parse_args(argv)
    print(json.dumps(check_page(args.page, width=args.width)))
    if args.screenshot:
        screenshot(args.page, args.screenshot, width=args.width)
    return 0


if __name__ == "__main__":
    sys.exit(main())
