"""Checkers of the chapter on finite width recognise the right answer and the typical slips."""

from reluprop.exercises_part2_init import check_typical_log_factor, check_width_for_spread


def test_width_for_spread():
    assert check_width_for_spread(lambda L, s: 1.25 * L / s**2).passed
    cases = {
        "not_squared": lambda L, s: 1.25 * L / s,
        "no_constant": lambda L, s: L / s**2,
        "narrow_constant": lambda L, s: 1.6 * L / s**2,
        "scale": lambda L, s: 3.0 * L / s**2,
        "error": lambda L, s: 1 / 0,
        "shape": lambda L, s: "many",
    }
    for kind, fn in cases.items():
        d = check_width_for_spread(fn)
        assert not d.passed and d.kind == kind, (kind, d.kind)


def test_typical_log_factor():
    assert check_typical_log_factor(lambda w: -1.25 * sum(1 / n for n in w)).passed
    cases = {
        "mean_square": lambda w: 0.0,
        "sign": lambda w: 1.25 * sum(1 / n for n in w),
        "half": lambda w: -0.625 * sum(1 / n for n in w),
        "wrong": lambda w: -len(w) / 10,
    }
    for kind, fn in cases.items():
        d = check_typical_log_factor(fn)
        assert not d.passed and d.kind == kind, (kind, d.kind)
