"""How a probability is written for people: the overlay, the results view, tooltips."""

from __future__ import annotations

# the widest text percent_text returns, for laying out a column of them
WIDEST_PERCENT = "100.0 %"


def percent_text(probability: float) -> str:
    """One decimal, except that a softmax value is never exactly 0 or 1: what would round to
    0.0 % or 100.0 % reads "<0.1 %" or ">99.9 %" instead (a 100.0 % looks certain, and five
    rows of 0.0 % look like nothing was found)."""
    percent = probability * 100
    if 0 < percent < 0.05:
        return "<0.1 %"
    if 99.95 <= percent < 100:
        return ">99.9 %"
    return f"{percent:.1f} %"
