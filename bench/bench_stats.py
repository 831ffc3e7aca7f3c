"""Statistics for the benchmark driver, kept apart so they can be tested alone.

A sub-second sweep on a shared VM varies by 10-15% from one run to the next,
so "icmpkit reaches 0.9 of the speed of light" is a claim about a median over
rounds, and it needs a margin of error to mean anything. The interval here is
the distribution-free one for a median, from order statistics: it assumes
nothing about the shape of the noise, only that the rounds are independent.
"""

from math import comb
from typing import Optional, Sequence


def median_interval(values: Sequence[float], confidence: float = 0.9) -> Optional[tuple[float, float, float]]:
    """The narrowest interval [x(k), x(n+1-k)] of the sorted values that holds
    the true median with at least `confidence`, as (low, high, its confidence).

    Of n independent rounds, the number that fall below the median is
    Binomial(n, 1/2); the interval misses the median when fewer than k fall on
    one side, so it holds it with probability 1 - 2 P(B <= k - 1). None when
    even [min, max] is not that sure (5 rounds give 0.9375; 4 give 0.875)."""
    xs = sorted(values)
    n = len(xs)
    best: Optional[tuple[float, float, float]] = None
    below = 0  # P(B <= k - 1) * 2^n, accumulated as k grows
    for k in range(1, n // 2 + 1):
        below += comb(n, k - 1)
        level = 1.0 - 2.0 * below / 2 ** n
        if level < confidence:
            break
        best = (xs[k - 1], xs[n - k], level)
    return best
