"""Copy the front-end files Bihuan needs from node_modules/ into bihuan/static/vendor/.

Run ``npm ci`` (or ``npm install``) first. The vendor folder is ignored by git: front-end
packages are installed by the package manager at set-up, never committed. The script fails
loudly when a file is missing, so a broken install never ships half a page.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "bihuan" / "static" / "vendor"

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


def main() -> int:
    try:
        copied = copy_vendor_files()
    except FileNotFoundError as exc:
        print(f"frontend: {exc}", file=sys.stderr)
        return 1
    print(f"frontend: copied {len(copied)} files into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
