"""Loading an evals file: graders in file order, tags, and one-line errors naming the file."""

from __future__ import annotations

import sys

import pytest

from looplet_core.evals import EvalFileError, load_evals
from tests.evals.runs import SAMPLE_EVALS


def write(tmp_path, text: str, name: str = "evals.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_graders_are_found_in_file_order_with_their_marks() -> None:
    specs = load_evals(SAMPLE_EVALS)
    assert [s.name for s in specs] == [
        "eval_finished",
        "eval_mostly_ok",
        "eval_size",
        "eval_stop_reason",
        "eval_deletes_only_temporary_files",
    ]
    assert specs[1].threshold == 0.75 and specs[3].passing == ("done",)
    assert specs[0].description == "The run ended by calling its terminal tool."


def test_tags_select_graders() -> None:
    assert [s.name for s in load_evals(SAMPLE_EVALS, tags=["smoke"])] == [
        "eval_finished",
        "eval_stop_reason",
    ]
    with pytest.raises(EvalFileError, match=r"no eval_\* function has the tag\(s\) \['nightly'\]"):
        load_evals(SAMPLE_EVALS, tags=["nightly"])


def test_imported_graders_and_classes_are_not_collected(tmp_path) -> None:
    write(tmp_path, "def eval_shared(ctx):\n    return True\n", "shared.py")
    path = write(
        tmp_path,
        "from shared import eval_shared\n"  # the file's folder is importable while it loads
        "class eval_Thing:\n    pass\n"
        "eval_value = 3\n"
        "def eval_own(ctx):\n    return eval_shared(ctx)\n",
    )
    assert [s.name for s in load_evals(path)] == ["eval_own"]
    assert str(tmp_path) not in sys.path[:1]


def test_two_files_with_the_same_name_stay_apart(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write(tmp_path / "a", "def eval_a(ctx):\n    return 1\n")
    second = write(tmp_path / "b", "def eval_b(ctx):\n    return 2\n")
    assert [s.func(None) for s in load_evals(first) + load_evals(second)] == [1, 2]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("def eval_x(ctx)\n    return 1\n", r"line 1: syntax error"),
        ("raise RuntimeError('no config')\n", r"importing it raised RuntimeError: no config"),
        ("import no_such_module_anywhere\n", r"importing it raised ModuleNotFoundError"),
        ("def helper(ctx):\n    return 1\n", r"no eval_\* functions found"),
    ],
)
def test_a_broken_file_is_one_line_naming_it(tmp_path, text, problem) -> None:
    path = write(tmp_path, text)
    with pytest.raises(EvalFileError, match=problem) as raised:
        load_evals(path)
    assert str(raised.value).startswith(f"{path}: ") and "\n" not in str(raised.value)


def test_a_missing_or_non_python_file_is_refused(tmp_path) -> None:
    with pytest.raises(EvalFileError, match="no such evals file"):
        load_evals(tmp_path / "nope.py")
    with pytest.raises(EvalFileError, match=r"is a Python file \(\.py\)"):
        load_evals(write(tmp_path, "{}", "evals.json"))
