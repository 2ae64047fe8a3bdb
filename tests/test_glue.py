"""reluprop.glue: MyST-NB's glue where it is installed, a plain display elsewhere (Colab)."""

import sys
import types

import pytest

from reluprop.glue import glue, sci


def test_without_myst_nb_the_value_is_shown_and_nothing_fails(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError
    glue("a-number", "3.1e-11")
    glue("hidden", "2.5", display=False)
    out = capsys.readouterr().out
    assert "3.1e-11" in out and "2.5" not in out


def test_with_myst_nb_the_call_is_handed_over(monkeypatch):
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("x", 1.5, display=False)
    assert calls == [("x", 1.5, False)]


@pytest.mark.parametrize("name", ["", None, 3])
def test_the_name_must_be_a_non_empty_string(name):
    with pytest.raises(TypeError, match="name"):
        glue(name, 1.0)


@pytest.mark.parametrize("v, digits, text", [
    (1.94e-9, 2, "1.9 × 10⁻⁹"), (3.3e-17, 1, "3 × 10⁻¹⁷"), (2.5e14, 3, "2.50 × 10¹⁴"), (-4.2e-5, 2, "-4.2 × 10⁻⁵"),
])
def test_sci_writes_numbers_as_the_prose_does(v, digits, text):
    assert sci(v, digits) == text


@pytest.mark.parametrize("v, digits, error", [
    (float("nan"), 2, ValueError), (float("inf"), 2, ValueError), ("x", 2, TypeError), (1.0, 0, ValueError),
])
def test_sci_rejects_bad_input(v, digits, error):
    with pytest.raises(error):
        sci(v, digits)
