"""README.md: at most 150 lines, and every command in it runs as written.

The commands are the `$ ` lines of its ```console blocks. They run in order, in one bash
session (as a user types them into one terminal), in a copy of the repository: the set-up
command creates its own virtual environment and installs rmapcheck there, and the commands
after it use that installation. The output shown under a command must be how its output
starts (seconds aside), and the race diagram shown after `rmapcheck check` must be part of
that command's output. The one command not run here is the test suite itself
(`python -m pytest -q -n auto --dist loadfile`): this test is part of it; CI runs it (.ci/run), and the test checks
that .ci/run runs exactly that command. The first command runs `rmapcheck verify` on every
bundled model, as a new user's first command does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SUITE = "python -m pytest -q -n auto --dist loadfile"
_SECONDS = re.compile(r"\d+\.\d+ s\b")


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """Each ```console block: [(command, the output lines shown under it)]."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        cmds: list = []
        for line in body.splitlines():
            if line.startswith("$ "):
                cmds.append((line[2:], []))
            elif cmds:
                cmds[-1][1].append(line)
        blocks.append(cmds)
    return blocks


def test_readme_is_short_and_speaks_to_users():
    text = README.read_text()
    assert len(text.splitlines()) <= 150
    for doc in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        words = " ".join(doc.read_text().split()).lower()
        assert "the brief" not in words and "the acceptance" not in words, doc.name
    for link in ("docs/language.md", "docs/tutorial.md", "docs/models.md", "docs/findings.md",
                 "docs/performance.md", "docs/engines.md"):
        assert f"]({link})" in text, link
        assert (ROOT / link).exists(), link


def _copy_repository(dest: Path) -> None:
    """The files of the repository (tracked, or new and not ignored), without any environment."""
    r = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", ".venv*", "__pycache__", "*.egg-info"))
        return
    for name in r.stdout.splitlines():
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def test_every_readme_command_runs_as_written(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    text = README.read_text()
    commands = [c for block in console_blocks(text) for c in block]
    assert commands[0][0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    assert commands[0][0].endswith("&& rmapcheck verify"), "the first command runs the main job"
    assert commands[1][0].endswith(" && " + SUITE), "the second installs the test tools and runs the tests"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert SUITE in [ln.strip() for ln in ci], "CI runs the README's test command"
    repo = tmp_path / "rmapcheck"
    repo.mkdir()
    _copy_repository(repo)
    script = ["set -u", f"cd {repo}"]
    for k, (cmd, _) in enumerate(commands):
        run = cmd.removesuffix(" && " + SUITE)  # the suite itself: this test is part of it
        script.append(f"{{ {run} ; }} > {tmp_path}/out{k} 2> {tmp_path}/err{k}; echo $? > {tmp_path}/rc{k}")
    r = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stderr
    for k, (cmd, shown) in enumerate(commands):
        out = (tmp_path / f"out{k}").read_text()
        err = (tmp_path / f"err{k}").read_text()
        rc = int((tmp_path / f"rc{k}").read_text())
        want = 1 if cmd.startswith("rmapcheck check ") else 0  # check: a property of the example is violated
        assert rc == want, (cmd, rc, out[-2000:], err[-2000:])
        assert "Traceback" not in err, (cmd, err)
        if shown:
            got = out.splitlines()[:len(shown)]
            assert [_SECONDS.sub("N s", ln) for ln in got] == [_SECONDS.sub("N s", ln) for ln in shown], cmd
        if cmd.startswith("rmapcheck check ") and "--trace-format diagram" in cmd:
            diagram = re.search(r"\n```\n(CPU0 .*?)```", text.split(cmd, 1)[1], re.S).group(1).splitlines()
            head, end = "\n".join(diagram[:2]) + "\n", "\n".join(diagram[2:]) + "\n"
            assert head in out and end in out, "the README's race diagram is the command's (its header and end)"
    assert (repo / "site" / "index.html").exists() and (repo / "my_patch.c").exists()
