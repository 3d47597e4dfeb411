"""The runs a harness makes of the small test models: each model's default configuration and
each of its @config variants. A unit model's fixed version is a @config of the buggy one (e.g.
`@config FIX=1`), not a copy of the file, so every harness that walks the models walks their
configurations too, or a fixed variant would go unchecked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rmapcheck.frontend import load_model
from rmapcheck.report.tables import fmt_defines


@dataclass(frozen=True)
class ModelRun:
    path: Path
    config: dict = field(default_factory=dict)  # the @config's defines ({}: the default)

    @property
    def name(self) -> str:
        """The model's stem, then the @config as `verify` prints it: 'oob_off_by_one FIX=1'."""
        return " ".join([self.path.stem] + ([fmt_defines(self.config)] if self.config else []))

    def __str__(self) -> str:  # the pytest id
        return f"{self.path.parent.name}/{self.name}"


def model_runs(paths, memory_model: str | None = None) -> list[ModelRun]:
    """Every (model, @config) of these model files, in file order, default configuration
    first; with memory_model, only the @configs that memory model runs."""
    out = []
    for path in paths:
        meta = load_model(str(path)).meta
        mms = meta.config_mms or [None] * len(meta.configs)
        out.append(ModelRun(Path(path)))
        out += [ModelRun(Path(path), dict(c)) for c, m in zip(meta.configs, mms)
                if memory_model is None or m in (None, memory_model)]
    return out


def model_run(directory: Path, name: str) -> ModelRun:
    """The run named as ModelRun.name names it, of a model in this directory."""
    stem, *defines = name.split()
    return ModelRun(directory / f"{stem}.c", {k: int(v) for k, v in (d.split("=") for d in defines)})
