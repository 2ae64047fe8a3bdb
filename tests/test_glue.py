"""reluprop.glue: MyST-NB's glue where it is installed, a plain display elsewhere (Colab)."""

import sys
import types

import pytest

from reluprop.glue import glue


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
