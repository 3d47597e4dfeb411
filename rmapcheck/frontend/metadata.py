"""The model header: `@key value` lines inside comments.

Header lines may stand in any comment (conventionally the first). A line whose unknown
key is followed directly by a colon (``@kvm: the VM``) is a kernel-doc parameter line
and is ignored; any other unknown key is an error.

    /*
     * @title   v5 as merged in Linux 5.14
     * @source  commit d501f747ef5c ("KVM: x86/mmu: Lazily allocate memslot rmaps")
     * @thread  writer
     * @thread  vcpu x2
     * @faults  1
     * @expect  sc rmaps-present violated
     * @expect  sc * holds
     */
"""

from __future__ import annotations

import re

from rmapcheck.errors import ModelError, SourceLoc
from rmapcheck.ir.nodes import Expectation, Meta

_KEY = re.compile(r"^\s*\*?\s*@([a-z][\w-]*)\b\s*:?\s*(.*?)\s*$")
_KERNEL_DOC = re.compile(r"^\s*\*?\s*@[a-z][\w-]*:")
_CONT = re.compile(r"^\s*\*?\s?(.*?)\s*$")
VERDICTS = ("holds", "violated", "unsupported")  # unsupported: acknowledged (verify exits 0 on it)
MAX_INSTANCES = 64
MEMORY_MODELS = ("sc", "ra")  # @memory-models: the runs of the default `rmapcheck verify`
# @expect, @config and @defines may also name tso and lkmm: runs of the z3 event engine that
# `rmapcheck verify --memory-model tso|lkmm` makes (each @config naming it), never by default
CHECKED_MODELS = MEMORY_MODELS + ("tso", "lkmm")
KEYS = (
    "title", "source", "description", "param", "thread", "faults", "nondet",
    "memory-models", "expect", "invariant", "config", "defines", "element",
)


class RawMeta:
    """Header lines before the program is known (threads and invariants are checked later)."""

    def __init__(self) -> None:
        self.meta = Meta()
        self.threads: list[tuple[str, int, SourceLoc]] = []
        self.invariants: list[tuple[str, str, SourceLoc]] = []
        self.params: list[tuple[str, SourceLoc]] = []  # @param names, checked against the #defines
        self.config_locs: list[SourceLoc] = []  # the line of each @config, for its errors
        self.define_locs: list[tuple[dict, SourceLoc]] = []  # each @defines line, for its errors


def included_params(path: str, comments: list, raw: RawMeta) -> None:
    """`@param NAME text` of an included file: a harness documents the parameters it #defines.
    Every other key of an included file's comments is that file's own business (a design a
    mutant includes has its own header), so it is not read."""
    for lineno, text in comments:
        m = _KEY.match(text)
        if not m or m.group(1) != "param":
            continue
        name, _, doc = m.group(2).partition(" ")
        name = name.rstrip(":")
        if re.fullmatch(r"[A-Za-z_]\w*", name) and name not in raw.meta.params:
            raw.meta.params[name] = doc.strip()
            raw.params.append((name, SourceLoc(path, lineno, 1, True)))


def parse_metadata(path: str, comments: list, lines: list[str]) -> RawMeta:
    raw = RawMeta()
    meta = raw.meta
    last_key: str | None = None
    for lineno, text in comments:
        m = _KEY.match(text)
        src = lines[lineno - 1] if lineno <= len(lines) else text
        if not m:
            cont = " ".join(_CONT.match(text).group(1).split())
            if last_key in ("description", "title") and cont:
                if last_key == "description":
                    meta.description = (meta.description + " " + cont).strip()
                else:
                    meta.title = (meta.title + " " + cont).strip()
            else:
                last_key = None
            continue
        key, value = m.group(1), m.group(2)
        if key not in KEYS and _KERNEL_DOC.match(text):
            last_key = None  # "@kvm: the VM": a kernel-doc parameter line, not a header key
            continue
        col = src.find("@" + key) + 1 if ("@" + key) in src else 1
        loc = SourceLoc(path, lineno, col)
        vcol = src.find(value) + 1 if value and value in src else col

        def err(msg: str, c: int = vcol) -> ModelError:
            return ModelError(SourceLoc(path, lineno, c), msg, src)

        last_key = key
        if key == "title":
            meta.title = value
        elif key == "source":
            meta.sources.append(value)
        elif key == "description":
            meta.description = value
        elif key == "param":
            name, _, doc = value.partition(" ")
            name = name.rstrip(":")
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise err("@param takes a #define name and its description: '@param NR_SLOTS number of slots'")
            meta.params[name] = doc.strip()
            raw.params.append((name, SourceLoc(path, lineno, vcol)))
        elif key == "thread":
            m2 = re.fullmatch(r"([A-Za-z_]\w*)(?:\s+x\s*(\d+))?", value)
            if not m2:
                raise err("@thread takes a function name and an optional count: '@thread vcpu x2'")
            count = int(m2.group(2) or 1)
            if count < 1:
                raise err("a thread needs at least one instance")
            if count > MAX_INSTANCES:
                raise err(f"at most {MAX_INSTANCES} instances of a thread")
            raw.threads.append((m2.group(1), count, SourceLoc(path, lineno, vcol)))
        elif key == "faults":
            if not value.isdigit():
                raise err("@faults takes a number (the allocation-failure budget)")
            meta.faults = int(value)
        elif key == "nondet":
            m2 = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", value)
            if not m2 or int(m2.group(1)) > int(m2.group(2)):
                raise err("@nondet takes a range: '@nondet 0..3'")
            meta.nondet_range = (int(m2.group(1)), int(m2.group(2)))
        elif key == "memory-models":
            mms = value.replace(",", " ").split()
            if not mms:
                raise err(f"@memory-models takes one or more of: {', '.join(MEMORY_MODELS)}")
            for mm in mms:
                if mm not in MEMORY_MODELS:
                    raise err(f"unknown memory model '{mm}' (known: {', '.join(MEMORY_MODELS)})")
            meta.memory_models = mms
        elif key == "expect":
            # @expect MEMORY-MODEL [NAME=V ...] PROPERTY VERDICT: with NAME=V, only for the run of
            # the @config with exactly those defines (a design variant's own expectations)
            parts = value.split()
            cfg_items = [p for p in parts[1:-2] if "=" in p]
            if len(parts) < 3 or len(parts) != 3 + len(cfg_items):
                raise err("@expect takes: MEMORY-MODEL [NAME=VALUE ...] PROPERTY holds|violated|unsupported")
            mm, prop, verdict = parts[0], parts[-2], parts[-1]
            if mm not in CHECKED_MODELS:
                raise err(f"unknown memory model '{mm}' (known: {', '.join(CHECKED_MODELS)})")
            if verdict not in VERDICTS:
                raise err(f"unknown verdict '{verdict}' (expected holds, violated or unsupported)")
            ecfg: dict[str, int] | None = None
            if cfg_items:
                ecfg = {}
                for item in cfg_items:
                    m2 = re.fullmatch(r"([A-Za-z_]\w*)=(-?\d+)", item)
                    if not m2:
                        raise err(f"@expect takes NAME=VALUE pairs before the property, not '{item}'")
                    ecfg[m2.group(1)] = int(m2.group(2))
            for ex in meta.expectations:
                if (ex.memory_model, ex.prop, ex.config) == (mm, prop, ecfg) and ex.verdict != verdict:
                    raise err(f"@expect {mm} {prop} contradicts line {ex.loc.line} ({ex.verdict})")
            pcol = src.find(" " + prop + " ", vcol - 1) + 2 if (" " + prop + " ") in src[vcol - 1:] else vcol
            meta.expectations.append(Expectation(mm, prop, verdict, SourceLoc(path, lineno, pcol), ecfg))
        elif key == "invariant":
            m2 = re.fullmatch(r"([a-z][\w-]*)\s*:?\s+([A-Za-z_]\w*)(?:\(\))?", value)
            if not m2:
                raise err("@invariant takes: PROPERTY FUNCTION")
            fcol = src.find(m2.group(2), vcol - 1) + 1 if m2.group(2) in src else vcol
            raw.invariants.append((m2.group(1), m2.group(2), SourceLoc(path, lineno, fcol)))
        elif key in ("config", "defines"):
            # @config [MEMORY-MODEL] NAME=V...: an extra run (of that memory model only, if named;
            # '@config tso|lkmm' with no pairs: that weak memory model's run of the default);
            # @defines MEMORY-MODEL NAME=V...: defines of every run under that memory model
            items = value.split()
            mm = items.pop(0) if items and items[0] in CHECKED_MODELS else None
            if key == "defines" and mm is None:
                raise err("@defines takes a memory model and NAME=VALUE pairs: '@defines ra WRITE_BACK_POINTERS=1'")
            cfg: dict[str, int] = {}
            for item in items:
                m2 = re.fullmatch(r"([A-Za-z_]\w*)=(-?\d+)", item)
                if not m2:
                    raise err(f"@{key} takes NAME=VALUE pairs, not '{item}'")
                cfg[m2.group(1)] = int(m2.group(2))
            # '@config tso' or '@config lkmm' alone: a run in the default configuration (the
            # default verify never makes weak runs, so each one, even the default, is declared)
            if not cfg and not (key == "config" and mm in CHECKED_MODELS[len(MEMORY_MODELS):]):
                raise err(f"@{key} takes NAME=VALUE pairs: '@{key} {mm or ''}{' ' if mm else ''}NR_SLOTS=3'")
            if key == "config":
                meta.configs.append(cfg)
                meta.config_mms.append(mm)
                raw.config_locs.append(SourceLoc(path, lineno, vcol))
            else:
                meta.mm_defines.setdefault(mm, {}).update(cfg)
                raw.define_locs.append((cfg, SourceLoc(path, lineno, vcol)))
        elif key == "element":
            m2 = re.fullmatch(r"([A-Za-z_]\w*)\s*(.*)", value)
            if not m2 or not m2.group(2):
                raise err("@element takes a name and a description: '@element RECHECK the re-check under the lock'")
            meta.elements.append((m2.group(1), m2.group(2), lineno))
        else:
            raise ModelError(loc, f"unknown header key '@{key}' (known: {', '.join(KEYS)})", src)
    return raw
