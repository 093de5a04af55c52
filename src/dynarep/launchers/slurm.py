"""Jobs on a Slurm cluster through ``submitit`` (or its local executor, for trying a spec here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from dynarep.config_checks import AT_LEAST_1, Checked
from dynarep.launchers.base import Launcher, register_launcher


@dataclass(frozen=True)
class SubmititConfig(Checked):
    """Options of the submitit launcher (one Slurm job per sweep job)."""

    cluster: str | None = None
    """submitit's executor: None picks Slurm where ``sbatch`` exists, else runs locally; "local"
    runs the jobs as local processes (for trying a spec), "debug" in this process."""
    timeout_min: Annotated[int, AT_LEAST_1] = 240
    """Wall-time limit of each job, minutes."""
    cpus_per_task: Annotated[int, AT_LEAST_1] = 4
    """CPU cores per job."""
    gpus_per_node: int = 0
    """GPUs per job."""
    slurm_partition: str | None = None
    """Slurm partition (None: the cluster's default)."""
    slurm_additional: dict[str, Any] = field(default_factory=dict)
    """Further ``slurm_*`` parameters of submitit, without the prefix (e.g. {"account": "x"})."""


@register_launcher("submitit", SubmititConfig)
class Submitit(Launcher):
    def run(
        self, function: Callable[[dict[str, Any]], Any], jobs: list[dict[str, Any]], folder: Path
    ) -> list[Any]:
        import submitit

        config = self.config
        executor = submitit.AutoExecutor(folder=folder / "submitit" / "%j", cluster=config.cluster)
        parameters: dict[str, Any] = {
            "timeout_min": config.timeout_min,
            "cpus_per_task": config.cpus_per_task,
        }
        if config.gpus_per_node:
            parameters["gpus_per_node"] = config.gpus_per_node
        if executor.cluster == "slurm":
            if config.slurm_partition:
                parameters["slurm_partition"] = config.slurm_partition
            parameters.update({f"slurm_{k}": v for k, v in config.slurm_additional.items()})
        executor.update_parameters(**parameters)
        submitted = [executor.submit(function, job) for job in jobs]
        outcomes = []
        for job in submitted:
            try:
                outcomes.append(job.result())
            except Exception as error:  # noqa: BLE001  (submitit re-raises the job's failure)
                outcomes.append(error)
        return outcomes
