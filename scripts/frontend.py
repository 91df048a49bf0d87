"""Copy the front-end files Bihuan needs from node_modules/ into bihuan/static/vendor/, and
build the chat widget (``frontend/widget/`` → ``bihuan/channels/chat/static/chat/widget.js``)
with esbuild from node_modules.

Run ``npm ci`` (or ``npm install``) first. The vendor folder and the built widget are ignored
by git: front-end packages are installed by the package manager at set-up, never committed.
The script fails loudly when a file is missing, so a broken install never ships half a page.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "bihuan" / "static" / "vendor"
WIDGET_SOURCE = ROOT / "frontend" / "widget" / "widget.js"
WIDGET_OUTPUT = ROOT / "bihuan" / "channels" / "chat" / "static" / "chat" / "widget.js"

# (source under node_modules, destination under bihuan/static/vendor)
FILES: list[tuple[str, str]] = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"),
    ("bootstrap/LICENSE", "bootstrap/LICENSE"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
    ("sortablejs/Sortable.min.js", "sortablejs/Sortable.min.js"),
    ("sortablejs/LICENSE", "sortablejs/LICENSE"),
]


def copy_vendor_files(node_modules: Path = NODE_MODULES, vendor: Path = VENDOR) -> list[Path]:
    """Copy every file of ``FILES``; raises FileNotFoundError naming the first missing one."""
    missing = [source for source, _dest in FILES if not (node_modules / source).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{node_modules / missing[0]} is missing: run `npm ci` (or `npm install`) first"
        )
    if vendor.exists():
        shutil.rmtree(vendor)
    copied = []
    for source, destination in FILES:
        target = vendor / destination
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / source, target)
        copied.append(target)
    return copied


def build_widget(
    node_modules: Path = NODE_MODULES, source: Path = WIDGET_SOURCE, output: Path = WIDGET_OUTPUT
) -> tuple[int, int]:
    """Bundle and minify the chat widget into one script (ES2019, an IIFE); answers its size
    and its gzipped size in bytes. Raises FileNotFoundError without esbuild, CalledProcessError
    when the build fails."""
    esbuild = node_modules / ".bin" / "esbuild"
    if not esbuild.is_file():
        raise FileNotFoundError(f"{esbuild} is missing: run `npm ci` (or `npm install`) first")
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603  (our own build tool, fixed arguments)
        [
            str(esbuild),
            str(source),
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2019",
            "--legal-comments=none",
            "--log-level=warning",
            f"--outfile={output}",
        ],
        check=True,
    )
    built = output.read_bytes()
    return len(built), len(gzip.compress(built, compresslevel=9))


def main() -> int:
    try:
        copied = copy_vendor_files()
        size, gzipped = build_widget()
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"frontend: {exc}", file=sys.stderr)
        return 1
    print(f"frontend: copied {len(copied)} files into {VENDOR.relative_to(ROOT)}")
    print(
        f"frontend: built {WIDGET_OUTPUT.relative_to(ROOT)} "
        f"({size / 1024:.1f} KB, {gzipped / 1024:.1f} KB gzipped)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
