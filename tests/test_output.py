"""Output that reads well where it lands: plain lines in logs and pipes, Rich bars in a terminal."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

import tastemaker
from tastemaker import progress as progress_module
from tastemaker.progress import progress

ANSI = re.compile(r"\x1b[\[\]()]")
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LONG_ARTIST = "The Extraordinarily Long Named Orchestra of the Northern Hemisphere and Friends"
LONG_REASON = "because you play " + " – ".join(f"Track number {i} by somebody" for i in range(6))


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def loud(monkeypatch):
    """Progress on (the test suite sets TASTEMAKER_QUIET)."""
    monkeypatch.delenv("TASTEMAKER_QUIET", raising=False)
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)


def _plain_lines(text: str) -> list[str]:
    assert not ANSI.search(text), repr(text)
    assert text.endswith("\n"), repr(text)
    lines = text.splitlines()
    assert all(line.strip() for line in lines), f"blank lines in {text!r}"
    return lines


def test_a_step_is_one_plain_line_with_its_counts(loud, capsys):
    with progress("Ingesting events.csv", total=1_234_567) as step:
        for _ in range(1_234):
            step.advance(1_000)
        step.advance(567)
    out, err = capsys.readouterr()
    assert out == ""
    [line] = _plain_lines(err)
    assert re.fullmatch(r"Ingesting events\.csv: done, 1,234,567 of 1,234,567 in \d+\.\d s", line), line


def test_update_and_unknown_totals(loud, capsys):
    with progress("Synthesising the test set", total=None):
        pass
    with progress("Scoring", total=None) as step:
        step.update(total=40, completed=10)
        step.update(completed=30, description="Scoring users")
        step.advance(10)
    with progress("Reading", total=None) as step:
        step.advance(3)
    lines = _plain_lines(capsys.readouterr().err)
    assert len(lines) == 3, lines
    assert re.fullmatch(r"Synthesising the test set: done in \d+\.\d s", lines[0]), lines[0]
    assert re.fullmatch(r"Scoring users: done, 40 of 40 in \d+\.\d s", lines[1]), lines[1]
    assert re.fullmatch(r"Reading: done, 3 in \d+\.\d s", lines[2]), lines[2]


def test_an_error_inside_a_step_propagates(loud, capsys):
    with pytest.raises(RuntimeError, match="boom"):
        with progress("Fitting", total=10) as step:
            step.advance(3)
            raise RuntimeError("boom")
    lines = _plain_lines(capsys.readouterr().err)
    assert len(lines) == 1 and "done" not in lines[0], lines
    assert re.fullmatch(r"Fitting: stopped after \d+\.\d s, 3 of 10", lines[0]), lines[0]


def test_quiet_silences_everything(monkeypatch, capsys):
    monkeypatch.setenv("TASTEMAKER_QUIET", "1")
    with progress("Scoring", total=5) as step:
        step.advance(5)
        step.update(completed=5, total=5, description="x")
    assert capsys.readouterr() == ("", "")


def test_a_terminal_still_gets_the_rich_bar(loud, monkeypatch):
    screen = FakeTerminal()
    monkeypatch.setattr(progress_module, "console", Console(file=screen, force_terminal=True, width=60))
    with progress("Scoring", total=4) as step:
        step.advance(4)
    drawn = screen.getvalue()
    assert ANSI.search(drawn) and "Scoring" in drawn and "4/4" in drawn
    assert "done," not in drawn


def test_console_to_a_non_terminal_keeps_tables_and_lines_whole(loud, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    from tastemaker.cli import common

    common.console.rule("[bold]tastemaker demo")
    common.console.print(common.table("A week for u1", ["#", "artist", "reason"],
                                      [(1, LONG_ARTIST, LONG_REASON), (2, "Low", "because")]))
    message = "[bold]note:[/] " + " ".join(f"word{i}" for i in range(60))
    common.console.print(message)
    lines = _plain_lines(capsys.readouterr().out)
    rule = lines[0]
    assert "tastemaker demo" in rule and len(rule) == common.RULE_WIDTH, rule
    assert any(LONG_ARTIST in line and LONG_REASON in line for line in lines), lines
    assert not any("…" in line for line in lines), lines
    assert sum("word" in line for line in lines) == 1
    widths = {len(line) for line in lines if line[:1] in "┏┃┡│└"}
    assert len(widths) == 1 and widths.pop() > 80, lines   # one table, wider than 80 columns


def test_console_in_a_terminal_is_rich_as_usual(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    from tastemaker.cli import common

    screen = FakeTerminal()
    console = type(common.console)(file=screen)
    assert console.width == 60 and not console.soft_wrap
    console.print(" ".join(f"word{i}" for i in range(60)))
    console.rule("r")
    lines = screen.getvalue().splitlines()
    assert len(lines) > 2 and all(len(CSI.sub("", line)) <= 60 for line in lines)


def test_a_piped_cli_run_reads_well(tmp_path):
    """A real pipe: stdout and stderr of a child process, as in `make demo > log 2>&1`."""
    script = textwrap.dedent(f"""
        from tastemaker.cli import common
        from tastemaker.progress import progress
        common.console.rule("[bold]tastemaker demo")
        with progress("Ingesting events.csv", total=1000) as step:
            for _ in range(10):
                step.advance(100)
        common.console.print(common.table("Ingest events", ["file", "reason", "rows"],
                                          [({LONG_ARTIST!r}, {LONG_REASON!r}, 1_234_567)]))
        common.console.print("[bold green]done[/] in 3 s; " + "and more words " * 12, markup=True)
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TASTEMAKER_QUIET", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    src = str(Path(tastemaker.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    [step] = _plain_lines(done.stderr)
    assert re.fullmatch(r"Ingesting events\.csv: done, 1,000 of 1,000 in \d+\.\d s", step), step
    lines = _plain_lines(done.stdout)
    assert 70 <= len(lines[0]) <= 90 and "tastemaker demo" in lines[0], lines[0]
    row = [line for line in lines if LONG_ARTIST in line]
    assert len(row) == 1 and LONG_REASON in row[0] and "1,234,567" in row[0], lines
    assert not any("…" in line for line in lines)
    assert lines[-1].startswith("done in 3 s; ") and lines[-1].count("and more words") == 12
