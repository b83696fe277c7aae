"""The paragraph cache: exact values, admission on the second sighting, a memory bound, and a
choice of entries by how often they recur."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.cache import ParagraphCache, _keys


def row(text: str, width: int = 3) -> np.ndarray:
    """A row that depends on the text alone, as the model's cached values do."""
    return np.array([[len(text) + k / 7 for k in range(width)]])


def offer(cache: ParagraphCache, texts: list[str]) -> int:
    """What the model does: look up, compute the misses, offer them back. Returns the hits,
    each checked to be the exact row of its text."""
    values, hit = cache.get(texts)
    for t, v, h in zip(texts, values, hit):
        if h:
            np.testing.assert_array_equal(v, row(t, cache.width)[0])
    missing = list(dict.fromkeys(t for t, h in zip(texts, hit) if not h))
    if missing:
        cache.add(missing, np.vstack([row(t, cache.width) for t in missing]))
    return int(hit.sum())


def test_a_text_is_kept_from_its_second_sighting():
    cache = ParagraphCache(width=3, max_bytes=1 << 20)
    offer(cache, ["Reply"])
    assert not cache.get(["Reply"])[1][0]
    offer(cache, ["Reply"])
    values, hit = cache.get(["Reply", "Report"])
    assert hit.tolist() == [True, False]
    np.testing.assert_array_equal(values[0], row("Reply")[0])


def test_recurring_lines_survive_a_flood_of_one_off_prose():
    cache = ParagraphCache(width=3, max_bytes=200_000)
    menu = [f"Menu item {k}" for k in range(40)]
    for page in range(3_000):
        prose = [f"Unique sentence {page}-{k} about the day's markets and prices." for k in range(5)]
        offer(cache, menu[page % 40: page % 40 + 3] + prose)
    assert cache.get(menu)[1].all()
    assert cache.nbytes <= 200_000


def test_lines_that_stop_recurring_give_way_to_new_ones():
    """Counts are halved as look-ups go by, so lines that stop recurring fade and the lines
    that recur now take their places."""
    cache = ParagraphCache(width=3, max_bytes=100_000)
    old, new = [f"old {k}" for k in range(400)], [f"new {k}" for k in range(400)]
    for _ in range(3):
        offer(cache, old)
    assert cache.get(old)[1].mean() > 0.9
    for _ in range(8):
        offer(cache, new)
    assert cache.get(new)[1].mean() > 0.9
    assert cache.nbytes <= 100_000


def test_more_recurring_lines_than_room_keep_a_stable_share_cached():
    """A crawl's recurring lines can outnumber the budget, each coming back about once per
    pass over the sites. The cache then keeps a fixed share of them (most of what fits)
    instead of evicting lines just before they recur and hitting almost nothing."""
    cache = ParagraphCache(width=3, max_bytes=100_000)
    lines = [f"Recurring line {k} of some site's menu" for k in range(900)]  # ~2x the room
    rng = random.Random(0)
    hits = looked_up = 0
    for _ in range(12):
        rng.shuffle(lines)
        for start in range(0, len(lines), 50):
            hits += offer(cache, lines[start:start + 50])
            looked_up += 50
    assert hits / looked_up > 0.3
    assert cache.nbytes <= 100_000


def test_a_text_longer_than_the_budget_is_not_kept():
    cache = ParagraphCache(width=3, max_bytes=5_000)
    long = "x" * 10_000
    offer(cache, [long])
    offer(cache, [long])
    assert not cache.get([long])[1][0]
    assert len(cache) == 0 and cache.nbytes <= 5_000


def test_zero_budget_keeps_nothing():
    cache = ParagraphCache(width=3, max_bytes=0)
    for _ in range(3):
        offer(cache, ["Reply"])
    assert len(cache) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["Ad", "Reply", "Réponse", "广告", "x" * 300, "• 2", ""])
                         | st.text(max_size=40), max_size=30), max_size=40),
       st.integers(min_value=0, max_value=30_000))
def test_hits_are_exact_and_memory_stays_within_budget(batches, budget):
    cache = ParagraphCache(width=4, max_bytes=budget)
    for texts in batches:
        values, hit = cache.get(texts)
        for t, v, h in zip(texts, values, hit):
            if h:
                np.testing.assert_array_equal(v, row(t, 4)[0])
        offer(cache, texts)
        assert cache.nbytes <= budget
        assert_consistent(cache)


def assert_consistent(cache: ParagraphCache) -> None:
    """The cache's bookkeeping agrees with itself: every entry sits in a row marked held,
    with its own key, and the free rows are exactly the others."""
    held = np.flatnonzero(cache._held[: len(cache._texts)]).tolist()
    assert sorted(cache._index.values()) == held
    for text, r in cache._index.items():
        assert cache._texts[r] == text
        assert cache._keys[r] == _keys([text])[0]
    assert sorted(cache._free) == [r for r, t in enumerate(cache._texts) if t is None]
    assert not cache._held[len(cache._texts):].any()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=5_000, max_value=40_000))
def test_churn_keeps_the_books_straight(seed, budget):
    """Many more recurring lines than room, in random order and lengths: entries are
    replaced over and over, and every hit is still the exact row of its text."""
    rng = random.Random(seed)
    lines = [f"line {k} " + "x" * rng.randrange(0, 200) for k in range(300)]
    cache = ParagraphCache(width=3, max_bytes=budget)
    for _ in range(30):
        offer(cache, rng.choices(lines, k=40))
        assert cache.nbytes <= budget
        assert_consistent(cache)
