"""mkdocs hook: draw the pictures of the docs from the example data at every build, so they never go stale.

A page asks for a picture with a marker comment right before a Python code block::

    <!-- gallery: cohort-heatmap -->
    ```python
    table = rt.cohort_table(tx, normalize=True)
    plot.cohort_heatmap(table)
    ```

When the site is built (``on_files``) the hook runs the marked blocks of each page in order, in one
namespace per page that starts with ``rt`` (``import retention as rt``) and ``tx =
rt.example_transactions()``, as the pages define them. The last line of a block must give the Axes or the
Figure that a ``retention.plot`` function returns (or a ``retention.Report``, photographed in headless
Chromium); the hook saves it as ``img/<page>/<name>.png`` among the site's files (generated, never committed) and, when the page is rendered (``on_page_markdown``), puts the
image right after the code that made it. A block marked ``<!-- gallery: run -->`` is run for what it
defines, without a picture. A block that fails fails the build, naming the page and the block.

Registered in ``mkdocs.yml`` under ``hooks:``. Importing this module imports neither mkdocs nor
matplotlib (pytest collects it for doctests).
"""

from __future__ import annotations

import ast
import io
import logging
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

__all__ = ["BLOCK", "on_files", "on_page_markdown", "run_block"]

log = logging.getLogger("mkdocs.hooks.gallery")

BLOCK: Final = re.compile(r"<!-- gallery: ([a-z0-9-]+) -->\n+```python\n(.*?)\n```", re.DOTALL)
"""A marker comment and the Python code block that follows it: groups (name, code)."""

RUN: Final = "run"
IMAGES: Final = "img"  # the folder of the generated images in the site, one subfolder per page
DPI: Final = 96
SHOT_SIZE: Final = (
    1200,
    1500,
)  # the window of a report's screenshot, in pixels: the top of the page


def _error(message: str) -> Exception:
    from mkdocs.exceptions import PluginError  # noqa: PLC0415  # mkdocs is there when the hook runs

    return PluginError(message)


def run_block(code: str, namespace: dict[str, Any], *, where: str) -> object:
    r"""Run a code block in ``namespace`` and return the value of its last line (None for a statement).

    Examples
    --------
    >>> scope = {}
    >>> run_block("x = 2\nx + 1", scope, where="example")
    3
    >>> scope["x"]
    2
    """
    tree = ast.parse(code, filename=where)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, where, "exec"), namespace)  # the docs' own code blocks
    if last is None:
        return None
    expression = ast.Expression(body=last.value)
    return eval(compile(expression, where, "eval"), namespace)


def _chromium() -> str:
    """Return the path of Chromium (Debian's ``chromium`` package), or fail the build saying so."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    msg = "gallery: the report screenshot needs headless Chromium; install it (apt-get install chromium)."
    raise _error(msg)


def _screenshot(html: str, *, where: str) -> bytes:
    """Open a page in headless Chromium, isolated and offline, and return the top of it as PNG bytes."""
    with tempfile.TemporaryDirectory() as folder:
        page, shot = Path(folder) / "page.html", Path(folder) / "shot.png"
        page.write_text(html, encoding="utf-8")
        flags = [
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing resolves: the page must be offline
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--hide-scrollbars",
            f"--window-size={SHOT_SIZE[0]},{SHOT_SIZE[1]}",
            f"--screenshot={shot}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        run = subprocess.run(
            [_chromium(), *flags, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if run.returncode != 0 or not shot.exists():
            msg = f"gallery: {where}: Chromium could not take the screenshot: {run.stderr[-500:]}"
            raise _error(msg)
        return shot.read_bytes()


def _png(result: object, *, where: str) -> bytes:
    """Save the figure of an Axes or a Figure as PNG bytes (and close it), or a Report's screenshot."""
    import matplotlib.pyplot as plt  # noqa: PLC0415  # imported after the backend is chosen
    from matplotlib.axes import Axes  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    from retention import Report  # noqa: PLC0415  # only when the docs are built

    if isinstance(result, Report):
        return _screenshot(result.to_html(), where=where)
    if isinstance(result, Axes):
        figure = result.figure
    elif isinstance(result, Figure):
        figure = result
    else:
        msg = f"gallery: {where} must end with a line that gives a matplotlib Axes or Figure (a retention.plot call) or a retention Report; it gives {type(result).__name__}."
        raise _error(msg)
    buffer = io.BytesIO()
    # Constrained layout keeps every label inside the figure, so it is drawn once (no bbox_inches="tight");
    # light compression: the site is built often, and the pictures are small anyway.
    figure.savefig(
        buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1}
    )
    plt.close(figure)
    return buffer.getvalue()


def _image(src_uri: str, name: str) -> str:
    """Return where a page's picture goes in the site: ``img/getting-started/survival.png``."""
    return f"{IMAGES}/{posixpath.splitext(src_uri)[0]}/{name}.png"


def _start_namespace() -> dict[str, Any]:
    import retention as rt  # noqa: PLC0415  # only when the docs are built

    return {"__name__": "gallery", "rt": rt, "tx": rt.example_transactions()}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Run the marked blocks of every page and add their pictures to the site's files."""
    import matplotlib  # noqa: PLC0415  # the plot extra, installed with the docs

    matplotlib.use("Agg", force=True)
    from mkdocs.structure.files import File  # noqa: PLC0415

    for own in [f for f in files if f.src_uri.startswith("hooks/")]:
        files.remove(own)  # this hook (and its bytecode) is not a page of the site
    started = time.perf_counter()
    made: set[str] = set()
    for page in list(files.documentation_pages()):
        if page.abs_src_path is None:
            continue
        blocks = BLOCK.findall(Path(page.abs_src_path).read_text(encoding="utf-8"))
        if not blocks:
            continue
        namespace = _start_namespace()
        for name, code in blocks:
            where = f"{page.src_uri}, block {name!r}"
            try:
                result = run_block(code, namespace, where=where)
            except Exception as e:
                msg = f"gallery: {where} failed: {type(e).__name__}: {e}"
                raise _error(msg) from e
            if name == RUN:
                continue
            uri = _image(page.src_uri, name)
            if uri in made:
                msg = f"gallery: {where}: another block of the page already draws {uri}; give each picture its own name."
                raise _error(msg)
            made.add(uri)
            files.append(File.generated(config, uri, content=_png(result, where=where)))
    log.info("gallery: %d pictures drawn in %.1f s", len(made), time.perf_counter() - started)
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Put each picture right after the code block that draws it."""

    def picture(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == RUN:
            return match.group(0)
        here = posixpath.dirname(page.file.src_uri)
        path = posixpath.relpath(_image(page.file.src_uri, name), here or ".")
        alt = name.replace("-", " ")
        return f'{match.group(0)}\n\n![{alt}]({path}){{ loading="lazy" }}\n'

    return BLOCK.sub(picture, markdown)
