"""Markdown building blocks: inline code and table cells that survive any text."""

from __future__ import annotations

import re
from collections.abc import Iterable


def code_span(text: str) -> str:
    text = str(text)
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _cell(text: str) -> str:
    return str(text).replace("\\|", "|").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def table(header: list[str], rows: Iterable[Iterable[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [_cell(c) for c in row]
        if len(cells) != len(header):
            raise ValueError(f"row {cells} has {len(cells)} cells, header {len(header)}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines
