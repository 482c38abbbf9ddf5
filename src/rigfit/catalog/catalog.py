"""The one Catalog object: every table rigfit reads, loaded once per process and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from rigfit.catalog.loader import load_data, load_hardware, load_models, load_quants
from rigfit.catalog.repos import HubRepo, load_repos
from rigfit.catalog.resolve import Index, hardware_index, model_index, quant_index
from rigfit.catalog.workloads import find_mode, find_workload, load_modes, load_workloads
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.model.workload import Mode, Workload


@dataclass(frozen=True, eq=False)
class Catalog:
    models: tuple[Architecture, ...]
    hardware: tuple[Hardware, ...]
    quants: tuple[Quant, ...]
    workloads: tuple[Workload, ...]
    modes: tuple[Mode, ...]
    family_vendors: dict[str, tuple[str, ...]]  # quant family -> hardware vendors its runtimes support
    efficiency: dict[str, Any]  # data/efficiency.yaml as parsed
    model_index: Index
    hardware_index: Index
    quant_index: Index
    repos: dict[str, dict[str, HubRepo]] = field(default_factory=dict)  # model -> format -> verified repository

    def quant(self, name: str) -> Quant:
        return self.quant_index.find(name)

    def workload(self, key: str) -> Workload:
        return find_workload(key)

    def mode(self, key: str) -> Mode:
        return find_mode(key)

    def repos_for(self, arch: Architecture) -> dict[str, HubRepo]:
        """The verified repositories of this model by format (data/repos.yaml); a model read from a file or the hub
        has none, unless the catalog names it."""
        return self.repos.get(arch.name, {})

    def quant_runs_on(self, quant: Quant, hw: Hardware) -> bool:
        """Whether any runtime of this quant's family supports this hardware's vendor (CPUs count as 'cpu')."""
        vendor = "cpu" if hw.kind == "cpu" else hw.vendor
        return vendor == "mixed" or vendor in self.family_vendors[quant.family]

    @cached_property
    def _model_rows(self) -> dict[str, int]:
        return {a.name: i for i, a in enumerate(self.models)}

    @cached_property
    def _models_by_repo(self) -> dict[str, Architecture]:
        counts: dict[str, int] = {}
        for a in self.models:
            counts[a.hf_repo.lower()] = counts.get(a.hf_repo.lower(), 0) + 1
        return {a.hf_repo.lower(): a for a in self.models if a.hf_repo and counts[a.hf_repo.lower()] == 1}

    def model_of_repo(self, repo_id: str) -> Architecture | None:
        """The catalog entry whose config.json is this Hugging Face repository's (its `hf_repo`), or None: the
        catalog already holds that config, so a repo id of a catalog model needs no hub request."""
        return self._models_by_repo.get(repo_id.strip().lower())

    @cached_property
    def _hardware_cols(self) -> dict[str, int]:
        return {h.name: i for i, h in enumerate(self.hardware)}

    def model_row(self, arch: Architecture) -> int | None:
        """The catalog row of this very model (None for a model read from a file or the hub)."""
        i = self._model_rows.get(arch.name)
        return i if i is not None and (self.models[i] is arch or self.models[i] == arch) else None

    def hardware_col(self, hw: Hardware) -> int | None:
        """The catalog column of this very device (None for groups, mixed pairs and detected machines)."""
        i = self._hardware_cols.get(hw.name)
        return i if i is not None and (self.hardware[i] is hw or self.hardware[i] == hw) else None

    @property
    def priced_hardware(self) -> tuple[Hardware, ...]:
        return tuple(h for h in self.hardware if h.msrp_usd is not None and h.kind != "cpu")


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    families = load_data("quants")["families"]
    return Catalog(
        models=load_models(),
        hardware=load_hardware(),
        quants=load_quants(),
        workloads=load_workloads(),
        modes=load_modes(),
        family_vendors={k: tuple(v["vendors"]) for k, v in families.items()},
        efficiency=load_data("efficiency"),
        model_index=model_index(),
        hardware_index=hardware_index(),
        quant_index=quant_index(),
        repos=load_repos(),
    )
