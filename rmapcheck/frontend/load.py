"""Model file -> IR Program: preprocess, parse with pycparser, lay out globals, lower threads."""

from __future__ import annotations

import os
import re

from pycparser import c_ast, c_parser

from rmapcheck.errors import ModelError, SourceLoc
from rmapcheck.sourcefile import read_source_text
from rmapcheck.frontend.ctypes import ArrT, FuncT, IntT, PtrT, StructT, VoidT, cell_names, object_starts
from rmapcheck.frontend.initializers import walk_init_list
from rmapcheck.frontend.lower import ThreadLowerer, _Frame
from rmapcheck.frontend.metadata import included_params, parse_metadata
from rmapcheck.frontend.prelude import PRELUDE
from rmapcheck.frontend.preprocess import preprocess
from rmapcheck.frontend.typeenv import TypeEnv
from rmapcheck.ir import nodes as ir

MAX_GLOBAL_CELLS = 1 << 18  # all globals together, in cells

_PARSE_ERR = re.compile(r"^(.*?):(\d+):(\d+): (.*)$", re.S)


def read_model_text(path: str) -> str:
    return read_source_text(path, "model file")


INCLUDE_ENV = "RMAPCHECK_INCLUDE"  # -I DIRs of the command line (os.pathsep-separated): seen by -j workers too


def include_dirs_from_env() -> list[str]:
    """Where #include looks after the including file's directory and models/."""
    return [d for d in os.environ.get(INCLUDE_ENV, "").split(os.pathsep) if d]


def load_model(path: str, overrides: dict | None = None, faults: int | None = None) -> ir.Program:
    """Read and lower one model. ``overrides`` are -D NAME=VALUE; ``faults`` overrides @faults."""
    text = read_model_text(path)
    return load_model_text(path, text, overrides or {}, faults)


def load_model_text(path: str, text: str, overrides: dict, faults: int | None = None,
                    include_dirs: list[str] | None = None) -> ir.Program:
    """The header (@keys) comes from the model's own comments only: an included file's
    header is not the model's, so a design can include another design and state its own."""
    lines = text.split("\n")
    pre = preprocess(path, text, overrides, _const_eval, include_dirs_from_env() if include_dirs is None else include_dirs)
    try:
        raw = parse_metadata(path, pre.comments, lines)
        for f, comments in pre.included_comments.items():
            included_params(f, comments, raw)
        meta = raw.meta
        # the harness's parameters first, in the order the headers define them, then the model's
        order = {n: k for k, n in enumerate(pre.define_locs)}
        own = {n for n, loc in raw.params if not loc.included}
        meta.params = dict(sorted(meta.params.items(), key=lambda kv: (kv[0] in own, order.get(kv[0], 0))))
        if faults is not None:
            meta.faults = faults
        _check_parameters(path, raw, pre, lines)
        ast = _parse(path, pre.text, pre.files)
        env = TypeEnv(path, lines, pre.defines, pre.files[path][1], pre.files)
        try:
            return _build(path, lines, pre, raw, ast, env)
        except RecursionError:
            # Deep nesting exhausts Python's stack in the lowering: say where, not how.
            raise env.error(env.last_node, "the model is nested too deeply here") from None
    except ModelError as e:
        if e.loc is not None and e.included_from is None:
            e.included_from = pre.included_from.get(e.loc.file)
        raise


def _build(path: str, lines: list[str], pre, raw, ast: c_ast.FileAST, env: TypeEnv) -> ir.Program:
    """Lay out the globals and lower every thread and invariant of a parsed model."""
    meta = raw.meta
    funcs: dict[str, c_ast.FuncDef] = {}
    gdecls: list[c_ast.Decl] = []
    for ext in ast.ext:
        env.last_node = ext
        if isinstance(ext, c_ast.Typedef):
            t = env.resolve(ext.type)
            env.typedefs[ext.name] = t
        elif isinstance(ext, c_ast.FuncDef):
            name = ext.decl.name
            if name in funcs:
                raise env.error(ext.decl, f"function '{name}' is defined twice")
            env.not_a_define(ext.decl, name, "a function")
            for param in (ext.decl.type.args.params if getattr(ext.decl.type, "args", None) else []):
                if isinstance(param, c_ast.Decl) and param.name:
                    env.not_a_define(param, param.name, "a parameter")
            ft = env.resolve(ext.decl.type)
            del ft
            funcs[name] = ext
        elif isinstance(ext, c_ast.Decl):
            if isinstance(ext.type, c_ast.FuncDecl):
                env.resolve(ext.type)  # a prototype: checked, otherwise ignored
            elif ext.name is None:
                env.resolve(ext.type)  # struct / enum definition
            else:
                gdecls.append(ext)
        elif isinstance(ext, c_ast.Pragma):
            continue
        else:
            raise env.error(ext, f"unsupported top-level construct ({type(ext).__name__})")

    gl = _GlobalLayout(env, funcs)
    for d in gdecls:
        env.last_node = d
        gl.add(d)
    env.rcu_global = None
    if _calls_any(funcs.values(), RCU_CALLS):
        # rcu_read_lock() and synchronize_rcu() share one RCU domain: a hidden srcu_struct
        env.rcu_global = "rcu" if "rcu" not in gl.globals else "__rcu"
        gl.add_hidden(env.rcu_global, env.struct("srcu_struct"))
    sites: list[ir.AllocSite] = []
    for d in gdecls:
        env.last_node = d
        gl.initialise(d, sites, meta)

    if not raw.threads:
        raise ModelError(SourceLoc(path, 1, 1), "the model declares no threads: add '@thread FUNCTION' to its header")
    threads = []
    for name, count, loc in raw.threads:
        if name not in funcs:
            raise ModelError(loc, f"thread function '{name}' is not defined", lines[loc.line - 1])
        L = ThreadLowerer(env, gl.globals, funcs, sites, meta)
        param = L.lower_entry(name, None, True)
        threads.append(
            ir.Thread(name, count, L.finish(), len(L.local_cells), L.local_cells, param, frozenset(L.escaped))
        )

    invariants = []
    for prop, fname, loc in raw.invariants:
        if fname not in funcs:
            raise ModelError(loc, f"invariant function '{fname}' is not defined", lines[loc.line - 1])
        invariants.append(_lower_invariant(env, gl, funcs, sites, meta, prop, fname))

    props = list(ir.BUILTIN_PROPERTIES)
    for th in threads:
        for instr in th.code:
            if isinstance(instr, (ir.Assert, ir.AssertHeld)) and instr.prop not in props:
                props.append(instr.prop)
    for inv in invariants:
        if inv.prop not in props:
            props.append(inv.prop)
    for ex in meta.expectations:
        # a line for one @config names a property of that configuration (an #if'd assertion)
        scoped_elsewhere = ex.config is not None and any(pre.defines.get(k) != v for k, v in ex.config.items())
        if ex.prop != "*" and ex.prop not in props and ex.prop != ir.P_RACE and not scoped_elsewhere:
            raise ModelError(
                ex.loc,
                f"@expect names an unknown property '{ex.prop}' (this model has: {', '.join(props)})",
                lines[ex.loc.line - 1],
            )
    return ir.Program(
        path=path,
        source_lines=lines,
        files={f: raw_lines for f, (raw_lines, _) in pre.files.items()},
        meta=meta,
        defines=dict(pre.defines),
        global_cells=gl.cells,
        global_init=gl.init,
        globals_by_name={n: (o, t.cells) for n, (o, t) in gl.globals.items()},
        threads=threads,
        sites=sites,
        invariants=invariants,
        properties=props,
        global_objects=gl.objects,
    )


def _check_parameters(path: str, raw, pre, lines: list[str]) -> None:
    """@param and @config must name #define constants of the model (what -D can override)."""
    for name, loc in raw.params:
        if name not in pre.define_locs and loc.included:
            raw.meta.params.pop(name, None)  # a harness's parameter this configuration does not define
        elif name not in pre.define_locs:
            src = pre.files.get(loc.file, (lines,))[0]
            raise ModelError(loc, f"@param {name}: the model has no #define {name}", src[loc.line - 1])
    mms = raw.meta.config_mms or [None] * len(raw.meta.configs)
    for ex in raw.meta.expectations:
        if ex.config is not None and not any(c == ex.config and m in (None, ex.memory_model)
                                             for c, m in zip(raw.meta.configs, mms)):
            shown = " ".join(f"{k}={v}" for k, v in ex.config.items())
            raise ModelError(ex.loc, f"@expect {ex.memory_model} {shown}: no @config {shown} runs under "
                             f"{ex.memory_model} (an @expect with NAME=VALUE pairs is for the run of that @config)",
                             lines[ex.loc.line - 1])
    checks = [("config", c, loc) for c, loc in zip(raw.meta.configs, raw.config_locs)]
    checks += [("defines", c, loc) for c, loc in raw.define_locs]
    for key, cfg, loc in checks:
        for name in cfg:
            if name not in pre.define_locs:
                known = ", ".join(sorted(pre.define_locs)) or "none"
                raise ModelError(loc, f"@{key} {name}=...: the model has no #define {name} (its #defines: {known})",
                                 lines[loc.line - 1])


def _lower_invariant(env, gl, funcs, sites, meta, prop: str, fname: str) -> ir.Invariant:
    fd = funcs[fname]
    ft = env.resolve(fd.decl.type)
    if ft.params or not isinstance(ft.ret, IntT):
        raise env.error(fd.decl, f"invariant '{fname}' must take no arguments and return bool")
    L = ThreadLowerer(env, gl.globals, funcs, sites, meta)
    L.frames.append(_Frame(f"<invariant {prop}>", ft.ret, None))
    call = c_ast.FuncCall(c_ast.ID(fname, coord=fd.decl.coord), None, coord=fd.decl.coord)
    v, _ = L.call_user(call, fname)
    L.emit(ir.Assert, call, cond=v, prop=prop)
    L.emit(ir.End, call)
    L.frames.pop()
    code = L.finish()
    for instr in code:
        if isinstance(instr, (ir.Store, ir.Lock, ir.Unlock, ir.SrcuReadLock, ir.SrcuReadUnlock,
                              ir.SrcuSync, ir.Alloc, ir.Free, ir.Nondet)):
            raise ModelError(instr.loc, f"invariant '{fname}' must only read memory (found '{instr.text}')",
                             env.source_line(instr.loc))
    return ir.Invariant(prop, fname, code, len(L.local_cells))


RCU_CALLS = frozenset({"rcu_read_lock", "rcu_read_unlock", "synchronize_rcu", "synchronize_rcu_expedited"})


def _calls_any(funcs, names: frozenset) -> bool:
    """Does any of these function definitions call one of names? (No recursion: a deeply
    nested expression is reported where the lowering meets it.)"""
    stack = list(funcs)
    while stack:
        n = stack.pop()
        if isinstance(n, c_ast.FuncCall) and isinstance(n.name, c_ast.ID) and n.name.name in names:
            return True
        stack.extend(child for _, child in n.children())
    return False


class _GlobalLayout:
    """Assigns every global a range of cells and evaluates its constant initialiser."""

    def __init__(self, env: TypeEnv, funcs: dict):
        self.env = env
        self.funcs = funcs
        self.globals: dict[str, tuple[int, object]] = {}
        self.cells: list[ir.Cell] = []
        self.init: list = []
        self.objects: dict[int, list] = {}

    def add(self, d: c_ast.Decl) -> None:
        env = self.env
        if "extern" in (d.storage or []):
            raise env.error(d, "extern declarations are not supported: define the global")
        t = env.resolve(d.type)
        if isinstance(t, (VoidT, FuncT)) or (isinstance(t, StructT) and not t.complete and not t.primitive):
            raise env.error(d, f"global '{d.name}' has incomplete type {t}")
        if d.name in self.globals:
            raise env.error(d, f"global '{d.name}' is defined twice")
        env.not_a_define(d, d.name, "a global")
        if d.name in self.funcs:
            raise env.error(d, f"'{d.name}' is both a function and a global")
        if len(self.cells) + t.cells > MAX_GLOBAL_CELLS:
            raise env.error(d, f"the globals are too large for a model (at most {MAX_GLOBAL_CELLS} cells)")
        self.globals[d.name] = (len(self.cells), t)
        object_starts(d.name, t, len(self.cells), self.objects)
        for name, isptr, pointee in cell_names(d.name, t):
            self.cells.append(ir.Cell(name, isptr, pointee))
            self.init.append(0)

    def add_hidden(self, name: str, t) -> None:
        """A global the model does not declare (the RCU domain)."""
        self.globals[name] = (len(self.cells), t)
        for cname, isptr, pointee in cell_names(name, t):
            self.cells.append(ir.Cell(cname, isptr, pointee))
            self.init.append(0)

    def initialise(self, d: c_ast.Decl, sites, meta) -> None:
        if d.init is None:
            return
        env = self.env
        off, t = self.globals[d.name]
        L = ThreadLowerer(env, self.globals, self.funcs, sites, meta)
        L.frames.append(_Frame("<init>", t, None))
        for cell, st, expr in walk_init_list(env, d.init, t):
            v, vt = L.rv(expr)
            if L.code or not isinstance(v, (ir.Const, ir.GlobalAddr)):
                raise env.error(expr, "a global's initialiser must be a constant or the address of a global")
            L.check_assign(expr, st, vt, v)
            v = L.convert(v, vt, st)
            self.init[off + cell] = v.value if isinstance(v, ir.Const) else (ir.GLOBAL, v.off)


class _Parser(c_parser.CParser):
    """pycparser, with a position on every syntax error.

    Some of pycparser's errors carry only the file name ("Invalid expression",
    "At end of input"): they are placed at the next token, or at the end of the file.
    """

    def _parse_error(self, msg, coord):
        if getattr(coord, "line", None) is None:
            tok = self._next_token() if msg != "At end of input" else None
            if tok is not None:
                coord = self._coord(tok.lineno, getattr(tok, "column", None))
                if msg.startswith("Invalid"):
                    msg = f"{msg} before '{tok.value}'"
            else:
                coord = _EndOfInput(self.clex.filename)
        super()._parse_error(msg, coord)

    def _next_token(self):
        try:
            peek = getattr(self, "_peek", None)
            tok = peek() if peek is not None else None
        except Exception:  # the lexer itself fails on what follows
            return None
        return tok if tok is not None and getattr(tok, "lineno", None) is not None else None

    def failure(self, what: str) -> str:
        """A ParseError text for a failure inside pycparser (it trips over some malformed
        input with an internal exception, or runs out of stack): placed at the token the
        parser stopped before."""
        tok = self._next_token()
        if tok is None:
            return f"{self.clex.filename}:<end>: {what}"
        return f"{self._coord(tok.lineno, getattr(tok, 'column', None))}: {what.format(tok=tok.value)}"


    def _lex_on_rbrace_func(self):
        # A stray '}' would pop pycparser's outermost scope (an assertion inside pycparser):
        # keep the scope and let the parser report the brace as a syntax error.
        stack = getattr(self, "_scope_stack", None)
        if stack is not None and len(stack) <= 1:
            return
        super()._lex_on_rbrace_func()


class _EndOfInput:
    def __init__(self, filename):
        self.filename = filename

    def __str__(self):
        return f"{self.filename}:<end>"


def _parse(path: str, text: str, files: dict) -> c_ast.FileAST:
    """Parse the preprocessed text (its line markers name each file)."""
    src = f'# 1 "<prelude>"\n{PRELUDE}{text}'
    parser = _Parser()
    try:
        return parser.parse(src, filename=path)
    except c_parser.ParseError as e:
        raise _parse_error(path, str(e), files) from None
    except RecursionError:
        raise _parse_error(path, parser.failure("the model is nested too deeply here"), files) from None
    except Exception:  # pycparser's own failure on malformed text: still a syntax error
        raise _parse_error(path, parser.failure("syntax error before '{tok}'"), files) from None


def _parse_error(path: str, msg: str, files: dict) -> ModelError:
    main = path
    m = _PARSE_ERR.match(msg)
    if m and m.group(1) in files:
        path = m.group(1)
    lines = files.get(path, ([], []))[0]
    end = f"{path}:<end>: "
    if msg.startswith(end):
        # The file ends inside a declaration or a statement: point just after its last token.
        line = max((i + 1 for i, ln in enumerate(lines) if ln.strip()), default=1)
        src = lines[line - 1] if lines else ""
        what = msg[len(end):]
        what = "unexpected end of file (a missing '}' or ';'?)" if what == "At end of input" else what
        return ModelError(SourceLoc(path, line, len(src.rstrip()) + 1), what, src)
    m = _PARSE_ERR.match(msg)
    if not m:
        return ModelError(SourceLoc(path, 1, 1), f"syntax error: {msg}")
    line, col, what = int(m.group(2)), int(m.group(3)), m.group(4).strip()
    what = what.replace("before: ", "syntax error before '", 1) + "'" if what.startswith("before:") else what
    src = lines[line - 1] if 0 < line <= len(lines) else None
    return ModelError(SourceLoc(path, line, max(col, 1), path != main), what, src)


def _const_eval(text: str, loc: SourceLoc, src: str, defines: dict, overrides: dict) -> int:
    """Evaluate a #define or #if value (an integer constant expression)."""
    prefix = "int __v = ("
    env = TypeEnv(loc.file, [src], {**defines, **overrides})
    try:
        ast = c_parser.CParser().parse(f"{prefix}{text});", filename=loc.file)
    except Exception:  # ParseError, or pycparser tripping over text that is not C at all
        raise ModelError(loc, f"'{text}' is not an integer constant expression", src) from None
    try:
        v = env.try_const(ast.ext[0].init) if ast.ext and isinstance(ast.ext[0], c_ast.Decl) else None
    except RecursionError:
        raise ModelError(loc, "the expression is nested too deeply", src) from None
    except ModelError as e:
        # Positions inside the evaluated text are relative to the wrapper: map them back.
        col = loc.col + max((e.loc.col if e.loc else 0) - len(prefix) - 1, 0)
        raise ModelError(SourceLoc(loc.file, loc.line, col), e.message, src) from None
    if v is None:
        raise ModelError(loc, f"'{text}' is not an integer constant expression (only integer #defines are supported)", src)
    return v


__all__ = ["load_model", "load_model_text", "ArrT", "PtrT"]
