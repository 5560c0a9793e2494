"""A process's map of the values it used last forgets the one used longest ago."""

import threading

from securescope.recent import RecentlyUsed


def test_the_value_used_longest_ago_goes_first() -> None:
    recent: RecentlyUsed[str, int] = RecentlyUsed(2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1
    recent.put("c", 3)
    assert recent.get("b") is None
    assert (recent.get("a"), recent.get("c")) == (1, 3)


def test_a_value_put_again_is_replaced_and_counts_as_used() -> None:
    recent: RecentlyUsed[str, int] = RecentlyUsed(2)
    recent.put("a", 1)
    recent.put("b", 2)
    recent.put("a", 10)
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (10, None, 3)


def test_discard_and_clear_forget() -> None:
    recent: RecentlyUsed[str, int] = RecentlyUsed(4)
    recent.put("a", 1)
    recent.put("b", 2)
    recent.discard("a")
    recent.discard("missing")
    assert recent.get("a") is None
    recent.clear()
    assert recent.get("b") is None


def test_threads_never_grow_it_past_its_size() -> None:
    recent: RecentlyUsed[int, int] = RecentlyUsed(8)

    def fill(start: int) -> None:
        for key in range(start, start + 2_000):
            recent.put(key, key)
            recent.get(key - 1)

    threads = [threading.Thread(target=fill, args=(n * 10_000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recent) == 8
