"""Pairing two lists of the same people, in order, without ever pairing by name alone.

OJS never merges authors: two distinct co-authors with the same name give identical strings
on every surface (OJS.md §5).  So people are paired by their position in the author order
first, with names only choosing *which* positions a shorter list covers, and a list is
never searched for "the entry with this name" (which would give both namesakes the same
partner).
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

__all__ = ["fold", "pairs_by_key", "positions_in"]


def fold(text: str | None) -> str:
    """A name for comparison: accents dropped, case folded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.casefold().split())


def pairs_by_key(left: list[str | None], right: list[str | None]) -> list[tuple[int, int]]:
    """The longest in-order pairing of equal keys (None never pairs): (left index, right index).

    Namesakes pair in their order, the first with the first; no index is used twice.
    """
    rows, cols = len(left), len(right)
    best = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            same = left[i] is not None and left[i] == right[j]
            best[i][j] = best[i + 1][j + 1] + 1 if same else max(best[i + 1][j], best[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < rows and j < cols:
        if left[i] is not None and left[i] == right[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


# A shorter group's names must resemble the names they are placed at this much (difflib
# ratio, accents and case aside): "Nurpéisov, Yerlán" and "Nurpeisov, Yerlan" give 1.0,
# names in two scripts about 0, and then nothing tells which author a name belongs to.
_RESEMBLANCE = 0.6


def positions_in(reference: list[str], group: list[str]) -> list[int] | None:
    """For each name of ``group``, the position of the same person in ``reference``.

    ``group`` lists a subset of ``reference``'s people in the same order (OJS leaves out of a
    locale's creators the authors without a name in it).  The same length means the same
    people; a shorter group takes the in-order positions whose names resemble its own most,
    and None when some name resembles none of them: a guess would give one author
    another's name.
    """
    rows, cols = len(group), len(reference)
    if rows >= cols:
        return list(range(cols))
    sim = [[SequenceMatcher(None, fold(g), fold(r)).ratio() for r in reference] for g in group]
    # score[i][j]: the best total for group[i:] placed within reference[j:]
    score = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        score[i][cols] = float("-inf")
        for j in range(cols - 1, -1, -1):
            score[i][j] = max(sim[i][j] + score[i + 1][j + 1], score[i][j + 1])
    positions, j = [], 0
    for i in range(rows):
        while sim[i][j] + score[i + 1][j + 1] < score[i][j]:
            j += 1
        if sim[i][j] < _RESEMBLANCE:
            return None
        positions.append(j)
        j += 1
    return positions
