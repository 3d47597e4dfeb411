"""`rmapcheck report --html DIR`: the site, its refusal to overwrite, and a real browser.

The browser test drives the Debian package's headless Chromium through the Chrome
DevTools protocol over a pipe (--remote-debugging-pipe: no network port, no extra Python
package, no downloaded browser). It opens a model page, clicks *next* through a whole
counterexample and checks that the highlighted source line follows the trace, and that
the page logs no error. It is skipped where Chromium is absent, except under CI (CI=true),
where that is a failure: .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cli_inprocess import run_cli

ROOT = Path(__file__).resolve().parent.parent
UNIT = "tests/models/unit"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


cli = run_cli


# -- the site ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "report"
    r = cli("report", "--html", out, f"{UNIT}/lost_update_array_copy.c", f"{UNIT}/srcu_abba_deadlock.c",
            f"{UNIT}/lock_order_consistent.c")
    assert r.returncode == 0, r.stderr
    return out


def test_site_pages(site):
    files = sorted(p.name for p in site.iterdir())
    assert files == [".rmapcheck-report", "index.html", "tests__models__unit__lock_order_consistent.html",
                     "tests__models__unit__lost_update_array_copy.html", "tests__models__unit__srcu_abba_deadlock.html"]
    index = (site / "index.html").read_text()
    assert 'href="tests__models__unit__lost_update_array_copy.html"' in index
    page = (site / "tests__models__unit__lost_update_array_copy.html").read_text()
    assert '<tr id="L28"><td class="n">28</td>' in page  # the source, with line numbers
    assert "rmaps-present" in page and 'class="violated"' in page
    assert 'id="stepper-0"' in page and "next &gt;" in page
    data = json.loads(page.split('<script type="application/json" id="traces">')[1].split("</script>")[0])
    assert data[0]["prop"] == "rmaps-present" and len(data[0]["steps"]) == 17
    deadlock = (site / "tests__models__unit__srcu_abba_deadlock.html").read_text()
    assert deadlock.count('class="stepper"') == 2  # no-deadlock and lock-order
    for p in site.iterdir():
        text = p.read_text()
        assert str(ROOT) not in text and "/tmp/" not in text, p.name
        assert "http://" not in text.replace("http://www.w3.org", "") and "<link" not in text  # offline


def test_refuses_a_directory_that_is_not_a_report(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("my notes")
    r = cli("report", "--html", d, f"{UNIT}/lock_order_consistent.c")
    assert r.returncode == 2 and "not an rmapcheck report" in r.stderr
    assert sorted(p.name for p in d.iterdir()) == ["notes.txt"] and (d / "notes.txt").read_text() == "my notes"
    f = tmp_path / "file"
    f.write_text("x")
    assert cli("report", "--html", f, f"{UNIT}/lock_order_consistent.c").returncode == 2
    assert f.read_text() == "x"


def test_rewrites_its_own_report_and_keeps_other_files(tmp_path):
    d = tmp_path / "rep"
    assert cli("report", "--html", d, f"{UNIT}/lock_order_consistent.c", f"{UNIT}/srcu_abba_deadlock.c").returncode == 0
    (d / "README.txt").write_text("kept")
    assert cli("report", "--html", d, f"{UNIT}/lock_order_consistent.c").returncode == 0
    names = sorted(p.name for p in d.iterdir())
    # the page of the model no longer reported is gone; the user's file is kept
    assert names == [".rmapcheck-report", "README.txt", "index.html", "tests__models__unit__lock_order_consistent.html"]
    assert (d / "README.txt").read_text() == "kept"
    # a user file where the report would write a page: refused
    (d / "tests__models__unit__srcu_abba_deadlock.html").write_text("mine")
    r = cli("report", "--html", d, f"{UNIT}/srcu_abba_deadlock.c")
    assert r.returncode == 2 and "refusing" in r.stderr
    assert (d / "tests__models__unit__srcu_abba_deadlock.html").read_text() == "mine"


# -- the browser ------------------------------------------------------------------------------------


def chromium() -> str:
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI: .ci/run must install it")
        pytest.skip("chromium is not installed")
    return exe


class Browser:
    """A minimal Chrome DevTools protocol client over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, exe: str, profile: Path):
        import fcntl

        to_r, self._to_w = os.pipe()  # commands: we write, chromium reads them on its fd 3
        self._from_r, from_w = os.pipe()  # results: chromium writes them on its fd 4
        # out of the way of 3 and 4 first (close-on-exec), so that the dup2s below cannot clobber them
        hi_r = fcntl.fcntl(to_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(from_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_r)
        os.close(from_w)

        def fds():  # in the child, before exec: dup2 makes 3 and 4 inheritable
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [exe, *CHROMIUM_FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=fds, close_fds=False)
        os.close(hi_r)
        os.close(hi_w)
        self._buf = b""
        self._id = 0
        self.events: list = []

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_w, self._from_r):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read(self, timeout: float) -> dict:
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._from_r], [], [], left)
            if ready:
                chunk = os.read(self._from_r, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(timeout)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        for k, m in enumerate(self.events):
            if m.get("method") == method:
                return self.events.pop(k)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self._read(end - time.monotonic())
            if m.get("method") == method:
                return m
            self.events.append(m)
        raise TimeoutError(method)


class Page:
    def __init__(self, browser: Browser, url: str, width: int = 1400, height: int = 900):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.s = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session=self.s)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.s)
        browser.send("Page.navigate", {"url": url}, session=self.s)
        browser.wait_event("Page.loadEventFired")

    def eval(self, expr: str):
        r = self.b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=self.s)
        if "exceptionDetails" in r:
            raise RuntimeError(r["exceptionDetails"])
        return r["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = self.eval(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                        "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                        "return [r.left+r.width/2, r.top+r.height/2];})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.b.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                     "clickCount": 1}, session=self.s)

    def key(self, key: str) -> None:
        """A real key press (down and up), as the keyboard sends it."""
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35}
        for kind in ("rawKeyDown", "keyUp"):
            self.b.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                   "windowsVirtualKeyCode": codes[key]}, session=self.s)

    def errors(self) -> list:
        out = []
        for m in self.b.events:
            if m.get("sessionId") != self.s:
                continue
            p = m.get("params", {})
            if m.get("method") == "Runtime.exceptionThrown":
                out.append(p.get("exceptionDetails", {}).get("text", "exception"))
            elif m.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str(p.get("args")))
            elif m.get("method") == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium()
    b = Browser(exe, tmp_path_factory.mktemp("chromium-profile"))
    try:
        b.send("Browser.getVersion", timeout=60)
        yield b
    finally:
        b.close()


def step_through(browser, page_file: Path, trace: int = 0) -> list:
    """Open a page, click 'next' through trace number ``trace``; the highlighted line per step."""
    page = Page(browser, page_file.as_uri())
    data = page.eval("JSON.parse(document.getElementById('traces').textContent)")
    steps = data[trace]["steps"]
    if trace:
        page.click(f"#stepper-{trace} button.first")
    seen = []
    for k in range(len(steps)):
        cur = page.eval("Array.from(document.querySelectorAll('table.src tr.cur')).map(function(r){return r.id})")
        pos = page.eval(f"document.querySelector('#stepper-{trace} .pos').textContent")
        assert pos == f"step {k + 1} / {len(steps)}"
        # a step in an #included file (fi > 0) is shown in that file's pane, the others hidden
        fi = steps[k].get("fi", 0)
        assert cur == [f"{f'F{fi}' if fi else ''}L{steps[k]['line']}"], (k, cur)
        shown = page.eval("Array.from(document.querySelectorAll('div.file')).filter(function(d){return !d.hidden})"
                          ".map(function(d){return d.dataset.fi})")
        assert shown == [str(fi)], (k, shown)
        seen.append(steps[k]["line"])
        if k + 1 < len(steps):
            page.click(f"#stepper-{trace} button.next")
    # at the end, next is disabled and previous goes back one step
    assert page.eval(f"document.querySelector('#stepper-{trace} button.next').disabled") is True
    page.click(f"#stepper-{trace} button.prev")
    fi = steps[-2].get("fi", 0)
    assert page.eval("document.querySelector('table.src tr.cur').id") == f"{f'F{fi}' if fi else ''}L{steps[-2]['line']}"
    # every thread's position is marked with its name
    who = page.eval("Array.from(document.querySelectorAll('td.who')).map(function(t){return t.textContent})"
                    ".filter(function(s){return s})")
    assert len(who) >= 1
    assert page.errors() == []
    return seen


def test_browser_steps_through_a_trace(site, browser):
    lines = step_through(browser, site / "tests__models__unit__lost_update_array_copy.html")
    assert len(lines) == 17  # the rmaps-present trace's steps under the default (persistent) reduction
    assert len(set(lines)) > 5  # the highlighted line moves through the source
    assert lines[0] == 35 and lines[-1] == 65
    # the second trace of a page has its own stepper
    step_through(browser, site / "tests__models__unit__srcu_abba_deadlock.html", trace=1)
    # the index renders without errors too
    page = Page(browser, (site / "index.html").as_uri())
    assert page.eval("document.querySelectorAll('table.verdicts tr').length") == 4
    assert page.errors() == []


KVM_514 = None
if (ROOT / "models").is_dir():
    for _p in sorted((ROOT / "models").glob("*.c")):
        _head = _p.read_text()[:4000]
        if "5.14" in _p.name or "Linux 5.14" in _head or "merged in 5.14" in _head:
            KVM_514 = _p
            break


@pytest.mark.skipif(KVM_514 is None, reason="the 5.14 KVM model is not in models/ yet")
def test_browser_steps_through_the_b4_trace(tmp_path, browser):
    out = tmp_path / "kvm"
    r = cli("report", "--html", out, KVM_514.relative_to(ROOT), "--memory-model", "sc", "-D", "NR_SLOTS=1")
    assert r.returncode in (0, 1, 3), r.stderr
    page_file = next(p for p in out.iterdir() if p.suffix == ".html" and p.name != "index.html")
    text = page_file.read_text()
    data = json.loads(text.split('<script type="application/json" id="traces">')[1].split("</script>")[0])
    assert data, "the 5.14 model has counterexamples"
    # B4: the writer's snapshot of the slot is taken before slots_arch_lock, the vCPU allocates the
    # rmaps and publishes the flag, the writer installs its stale copy, the vCPU walks a NULL rmap
    b4 = next(k for k, t in enumerate(data) if t["prop"] == "rmaps-present")
    steps = data[b4]["steps"]
    threads = [s["thread"] for s in steps]
    assert "kvm_set_user_memory_region" in threads and "vcpu.0" in threads
    texts = [s["text"] for s in steps]
    assert any("old = " in t for t in texts)  # the snapshot
    assert any("smp_store_release" in t for t in texts)  # the allocator's store of the flag
    assert any("rcu_assign_pointer" in t for t in texts)  # the install of the stale slot
    # the allocator is the design's (the model file), the writer the harness's (an #included header)
    assert any(s["fi"] == 0 for s in steps) and any(s["fi"] > 0 for s in steps)
    lines = step_through(browser, page_file, trace=b4)
    assert len(set(lines)) > 5
    assert lines[-1] == steps[-1]["line"]


def test_browser_test_sees_console_errors(tmp_path, browser):
    """The check for console errors is a real one: a page with an error fails it."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('boom'); no_such_function();</script>"
                   "</body></html>")
    page = Page(browser, bad.as_uri())
    page.eval("1")
    errs = page.errors()
    assert any("boom" in e for e in errs) and any("no_such_function" in e or "Uncaught" in e for e in errs)


def test_first_violation_in_view_and_arrow_keys_step(site, browser):
    """A model page on a laptop screen (1280x720): the first counterexample is in view without
    scrolling, every stepper is ready at its first step, and the arrow keys walk the trace."""
    page = Page(browser, (site / "tests__models__unit__srcu_abba_deadlock.html").as_uri(), 1280, 720)
    assert page.eval("window.scrollY") == 0
    box = page.eval("(function(){var r=document.getElementById('trace-0').getBoundingClientRect();"
                    "return [r.top, r.bottom, window.innerHeight];})()")
    assert 0 <= box[0] and box[1] <= box[2], box  # the heading of the first violation, in view
    assert page.eval("document.getElementById('stepper-0').getBoundingClientRect().top") < 720
    # every stepper is ready: its position and current step are shown before any click
    for t in (0, 1):
        assert page.eval(f"document.querySelector('#stepper-{t} .pos').textContent").startswith("step 1 / ")
        assert page.eval(f"document.querySelector('#stepper-{t} .now').textContent").startswith("1. ")
    data = page.eval("JSON.parse(document.getElementById('traces').textContent)")
    steps = data[0]["steps"]
    seen = []
    for k in range(len(steps)):
        assert page.eval("document.querySelector('#stepper-0 .pos').textContent") == f"step {k + 1} / {len(steps)}"
        assert page.eval("document.querySelector('table.src tr.cur').id") == f"L{steps[k]['line']}"
        seen.append(steps[k]["line"])
        page.key("ArrowRight")
    page.key("ArrowRight")  # past the end: stays on the last step
    assert page.eval("document.querySelector('#stepper-0 .pos').textContent") == f"step {len(steps)} / {len(steps)}"
    page.key("ArrowLeft")
    assert page.eval("document.querySelector('#stepper-0 .pos').textContent") == \
        f"step {len(steps) - 1} / {len(steps)}"
    fi = steps[-2].get("fi", 0)
    assert page.eval("document.querySelector('table.src tr.cur').id") == f"{f'F{fi}' if fi else ''}L{steps[-2]['line']}"
    page.key("Home")
    assert page.eval("document.querySelector('#stepper-0 .pos').textContent") == f"step 1 / {len(steps)}"
    # a click on the second stepper makes it the one the keys move
    page.click("#stepper-1 button.first")
    page.key("ArrowRight")
    assert page.eval("document.querySelector('#stepper-1 .pos').textContent").startswith("step 2 / ")
    assert page.eval("document.querySelector('#stepper-0 .pos').textContent").startswith("step 1 / ")
    assert page.errors() == []


def test_violations_come_first_in_the_verdict_table(site):
    page = (site / "tests__models__unit__srcu_abba_deadlock.html").read_text()
    table = page.split("<h2>Verdicts</h2>")[1].split("</table>")[0]
    verdicts = re.findall(r'<td class="(holds|violated|incomplete)">', table)
    assert verdicts[:2] == ["violated", "violated"] and set(verdicts[2:]) == {"holds"}
    assert page.index('id="stepper-0"') < page.index("<h2>Verdicts</h2>")
