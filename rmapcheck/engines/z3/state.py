"""The symbolic state vector: which z3 variables describe one state of the program.

A state mirrors the explicit engine's ``(G, H, T, faults)``:

  globals     one value per global cell;
  heap        a bounded pool of objects per allocation site: alive flag, size in cells,
              cells; plus, per site, the number of pool slots used so far (slots are
              never reused, so a dangling pointer never aliases a newer object);
  threads     pc (-1 once ended), the live locals packed into slots (two locals share a
              slot when no resting pc has both live), per candidate lock cell the number
              of times the thread holds it as a mutex / as an srcu read section, and the
              synchronize_srcu wait (flag, srcu address, which threads it waits for);
  faults      the allocation failures still allowed.

A value is a pair (base, offset) of z3 Ints, or a single Int when the static analysis
says the cell only ever holds integers (its base is then the constant INTB; storing a
pointer there is an encoding limit, see symexec).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from rmapcheck.engines.z3.terms import INTB, IntVar


@dataclass
class ThreadLayout:
    tid: int
    name: str
    nlocals: int
    color: dict  # local -> slot
    slot_ptr: list  # slot -> may hold a pointer
    live: list  # pc -> bitmask of live locals (entry)
    rest: list  # resting pcs
    mcells: list  # candidate mutex cells (base, off) it may hold
    scells: list  # candidate srcu cells it may hold a read section on
    waits: bool  # has a synchronize_srcu


@dataclass
class Layout:
    nG: int
    g_ptr: list  # per global cell: may hold a pointer
    sites: dict  # site -> (pool size, max cells, elem cells, size constant or None, cell_ptr list)
    objs: list  # obj id -> (site, slot)
    site_base: dict  # site -> first obj id
    threads: list  # ThreadLayout
    faults: int
    srcu_cells: list = field(default_factory=list)  # every candidate srcu cell

    def obj_ids(self, site: int) -> range:
        b = self.site_base[site]
        return range(b, b + self.sites[site][0])


class SymState:
    """One state as z3 terms (fresh constants named with a tag).

    ``vars`` lists the constants in a fixed order and ``keys`` names each of them:
    ('g', k, 'b'|'o'), ('alive', oid), ('size', oid), ('cell', oid, c, 'b'|'o'),
    ('next', site), ('pc', t), ('slot', t, c, 'b'|'o'), ('m', t, cell), ('s', t, cell),
    ('wflag', t), ('waddr', t, 'b'|'o'), ('wset', t, u), ('faults',).
    """

    def __init__(self, lay: Layout, tag: str):
        self.lay = lay
        self.tag = tag
        self.vars: list = []
        self.keys: list = []
        self.G = [self._val(f"g{k}", ("g", k), lay.g_ptr[k]) for k in range(lay.nG)]
        self.alive = []
        self.size = []
        self.cells = []
        for oid, (site, j) in enumerate(lay.objs):
            pool, maxc, elem, sconst, cptr = lay.sites[site]
            self.alive.append(self._bool(f"h{site}.{j}.alive", ("alive", oid)))
            self.size.append(sconst if sconst is not None else self._int(f"h{site}.{j}.size", ("size", oid)))
            self.cells.append([self._val(f"h{site}.{j}[{c}]", ("cell", oid, c), cptr[c % elem]) for c in range(maxc)])
        self.nxt = {s: self._int(f"next{s}", ("next", s)) for s in sorted(lay.sites)}
        self.pc = []
        self.slots = []
        self.m = []
        self.s = []
        self.wflag = []
        self.waddr = []
        self.wset = []
        n = len(lay.threads)
        for th in lay.threads:
            t = th.tid
            self.pc.append(self._int(f"pc{t}", ("pc", t)))
            self.slots.append([self._val(f"t{t}.s{c}", ("slot", t, c), p) for c, p in enumerate(th.slot_ptr)])
            self.m.append({c: self._int(f"t{t}.m{c[0]}_{c[1]}", ("m", t, c)) for c in th.mcells})
            self.s.append({c: self._int(f"t{t}.r{c[0]}_{c[1]}", ("s", t, c)) for c in th.scells})
            if th.waits:
                self.wflag.append(self._bool(f"t{t}.wait", ("wflag", t)))
                self.waddr.append(self._val(f"t{t}.waddr", ("waddr", t), True))
                self.wset.append([self._bool(f"t{t}.wfor{u}", ("wset", t, u)) for u in range(n)])
            else:
                self.wflag.append(False)
                self.waddr.append((INTB, 0))
                self.wset.append([False] * n)
        self.faults = self._int("faults", ("faults",)) if lay.faults > 0 else 0
        self.index = {k: i for i, k in enumerate(self.keys)}

    def _int(self, name, key):
        v = IntVar(f"{name}@{self.tag}")
        self.vars.append(v)
        self.keys.append(key)
        return v

    def _bool(self, name, key):
        v = z3.Bool(f"{name}@{self.tag}")
        self.vars.append(v)
        self.keys.append(key)
        return v

    def _val(self, name, key, ptr: bool):
        o = None
        if ptr:
            b = self._int(name + ".b", key + ("b",))
        else:
            b = INTB
        o = self._int(name + ".o", key + ("o",))
        return (b, o)

    def var(self, key):
        i = self.index.get(key)
        return None if i is None else self.vars[i]
