"""reluprop.exercises_part1: the checkers accept the answer and diagnose the usual slip."""

from reluprop import exercises_part1 as ex


def test_mul_backward_checker():
    assert ex.check_mul_backward(lambda u, a, b: (u * b, u * a)).passed
    swapped = ex.check_mul_backward(lambda u, a, b: (u * a, u * b))
    assert not swapped.passed and "multiplied each input by itself" in str(swapped)
    raising = ex.check_mul_backward(lambda u, a, b: 1 / 0)
    assert raising.kind == "error" and "ZeroDivisionError" in raising.summary
