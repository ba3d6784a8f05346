"""How numbers and text appear in the report: the template filters, also used by findings
to word a claim's evidence."""

from __future__ import annotations

import math
import re
from typing import Any

# Backslash-escaped: Markdown syntax (and `{...}`, which the attr_list extension would
# otherwise turn into HTML attributes such as onclick=). `~` has no backslash escape in
# python-markdown, so it becomes a character reference, which every Markdown renders as ~.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}#|])")


def md_text(value: Any) -> str:
    """Text from the config, safe in Markdown and in the HTML made from it."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    text = re.sub(r"[\r\n]+", " ", text)
    return _MD_SPECIAL.sub(r"\\\1", text).replace("~", "&#126;")


def code(value: Any) -> str:
    """A name or formula of ours as a Markdown code span (shown literally, escaped in HTML)."""
    text = re.sub(r"[\r\n]+", " ", str(value)).replace("`", "'")
    return f"`{text}`"


def num(value: Any, digits: int = 4) -> str:
    """A number for prose and tables: significant digits, scientific when tiny or huge."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) < 1e6
    ):
        return str(int(value))
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}".replace("-", "−")
    mantissa, exponent = f"{value:.{max(digits - 2, 1)}e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", "−")


def pct(value: float) -> str:
    return f"{100 * value:.1f} %"
