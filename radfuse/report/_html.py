"""One self-contained HTML page from headings, text, tables and figures."""

from __future__ import annotations

import base64
import html
import re
import struct
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ._figures import DEFAULT_DPI, ReportFigure, render_png

__all__ = [
    "write_html_report",
]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; border-bottom: 2px solid #CC3311; padding-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
.table-scroll, .figure-scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: .82em; margin: .6em 0 1.2em; }
th, td { padding: .25em .6em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.figure-grid { display: flex; flex-wrap: wrap; gap: 0 2em; align-items: flex-start; }
figure { margin: 1em 0 1.5em; max-width: 100%; } img { height: auto; display: block; }
figcaption { font-size: .85em; color: #444; max-width: 60em; }
nav ol { font-size: .9em; } nav ol ol { font-size: .95em; }
"""

#: CSS pixels per inch: a figure is shown at its printed size, so its text stays readable.
_CSS_PX_PER_INCH = 96


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header."""
    return struct.unpack(">II", png[16:24])


def _figure_html(png: bytes, caption: str, alt: str, dpi: int) -> str:
    width, _ = _png_size(png)
    css_width = round(width / dpi * _CSS_PX_PER_INCH)
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure style="width: {css_width}px"><div class="figure-scroll">'
        f'<img alt="{html.escape(alt, quote=True)}" width="{css_width}" '
        f'src="data:image/png;base64,{encoded}"></div>'
        + (f"<figcaption>{html.escape(caption)}</figcaption>" if caption else "")
        + "</figure>"
    )


def _default_alt(figure: Figure) -> str:
    titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
    return next((title.splitlines()[0] for title in titles if title), "Figure")


def _html_block(content, dpi: int) -> str:
    if isinstance(content, ReportFigure):
        png = content.figure if isinstance(content.figure, bytes) else render_png(content.figure, dpi)
        return _figure_html(png, content.caption, content.alt, dpi)
    if isinstance(content, Figure):
        return _figure_html(render_png(content, dpi), "", _default_alt(content), dpi)
    if isinstance(content, bytes):
        return _figure_html(content, "", "Figure", dpi)
    if isinstance(content, pd.DataFrame):
        table = content.to_html(index=False, border=0, na_rep="", float_format=lambda value: f"{value:.3f}")
        return f'<div class="table-scroll">{table}</div>'
    paragraphs = str(content).strip().split("\n\n")
    rendered = []
    for paragraph in paragraphs:
        text = html.escape(paragraph)
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        rendered.append(f"<p>{text}</p>")
    return "\n".join(rendered)


def write_html_report(path, title: str, sections, *, dpi: int = DEFAULT_DPI) -> Path:
    """Write one self-contained HTML page with a table of contents from plain content.

    Parameters
    ----------
    path : str or Path
    title : str
    sections : list of (heading, content)
        ``content`` is a string (paragraphs separated by blank lines,
        ``**bold**`` allowed), a DataFrame, a :class:`ReportFigure`, a
        matplotlib Figure, PNG bytes, or a list of these (each item rendered
        in turn, a ``(subheading, item)`` tuple adding a sub-heading listed in
        the table of contents). Figures are embedded as base64 PNG at their
        printed size (``dpi`` pixels per inch shown as 96 CSS pixels), in a
        box that scrolls sideways rather than shrinking one wider than the
        page; tables scroll the same way. The page references no external
        file, script or style sheet.
    dpi : int
        Resolution at which Figures are rendered, and of the PNG bytes given.

    Returns
    -------
    Path of the written file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import pandas as pd
    >>> from radfuse.report import write_html_report
    >>> page = write_html_report(pathlib.Path(tempfile.mkdtemp()) / "report.html", "AUCs",
    ...                          [("Test set", pd.DataFrame({"model": ["lr"], "auc": [0.81]}))])
    >>> text = page.read_text(encoding="utf-8")
    >>> "<td>0.810</td>" in text, '<a href="#section-1">Test set</a>' in text
    (True, True)

    References
    ----------
    .. [1] Collins, G. S., Reitsma, J. B., Altman, D. G., & Moons, K. G. M. (2015).
        Transparent reporting of a multivariable prediction model for individual
        prognosis or diagnosis (TRIPOD): the TRIPOD statement. BMJ, 350, g7594.
    """
    body, contents = [], []
    for number, (heading, content) in enumerate(sections, 1):
        anchor = f"section-{number}"
        body.append(f'<h2 id="{anchor}">{html.escape(heading)}</h2>')
        subsections = []
        items = content if isinstance(content, list) else [content]
        # A run of figures flows side by side where the page is wide enough for two.
        grid = len(items) > 1 and all(isinstance(item, (ReportFigure, Figure, bytes)) for item in items)
        if grid:
            body.append('<div class="figure-grid">')
        for item in items:
            if isinstance(item, tuple):
                subheading, item = item
                sub_anchor = f"{anchor}-{len(subsections) + 1}"
                subsections.append(f'<li><a href="#{sub_anchor}">{html.escape(subheading)}</a></li>')
                body.append(f'<h3 id="{sub_anchor}">{html.escape(subheading)}</h3>')
            body.append(_html_block(item, dpi))
        if grid:
            body.append("</div>")
        nested = f"<ol>{''.join(subsections)}</ol>" if subsections else ""
        contents.append(f'<li><a href="#{anchor}">{html.escape(heading)}</a>{nested}</li>')
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<nav aria-label=\"Contents\"><strong>Contents</strong>"
        f"<ol>{''.join(contents)}</ol></nav>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
