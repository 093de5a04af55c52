"""Data-parallel training through ``accelerate``, and the one-process case behind the same calls.

``accelerate launch -m dynarep pretrain ...`` and ``torchrun -m dynarep pretrain ...`` start one
process per device and set ``WORLD_SIZE``; ``Processes.start`` then hands the model to
``accelerate.Accelerator`` (DistributedDataParallel: NCCL on GPUs, gloo on CPUs). Every process
draws the same global batch from the same seeded sampler and trains on its own slice of it, so
the union of the slices is the one-process batch and the averaged gradient is the one-process
gradient (up to float summation order and dropout masks). The sampler's state is therefore the
same in every process, and a checkpoint resumes under any number of processes. Only the main
process writes files.

Without a launcher nothing here imports ``accelerate`` and training runs exactly as before.
"""

from __future__ import annotations

import atexit
import warnings

import torch
from torch import nn

from dynarep.train.launcher_env import launched_processes
from dynarep.train.schedule import resolve_device


class Processes:
    """The training processes of one run: rank, count, and the few collective steps training needs."""

    rank: int = 0
    count: int = 1
    is_main: bool = True

    def __init__(self, device: str) -> None:
        self.device = resolve_device(device)

    @staticmethod
    def start(device: str) -> Processes:
        return Parallel(device) if launched_processes() > 1 else Processes(device)

    def prepare(self, model: nn.Module) -> nn.Module:
        """The model on this process's device, wrapped for gradient averaging when there are
        several processes; train through the returned module, save and optimise ``model``."""
        return model.to(self.device)

    def mean(self, metrics: dict[str, float]) -> dict[str, float]:
        """Metrics averaged over processes (each computed them on its slice of the batch)."""
        return metrics

    def wait(self) -> None:
        """Block until every process gets here."""

    def finish(self) -> None:
        """The run ended cleanly in every process: wait for all of them."""
        self.wait()


class Parallel(Processes):
    """Several processes under ``accelerate`` (started by ``accelerate launch`` or ``torchrun``)."""

    ended_cleanly = False
    """Whether the last run in this process reached ``finish``: only then is the process group
    torn down at exit (tearing it down while another process waits in a collective can hang)."""

    def __init__(self, device: str) -> None:
        from accelerate import Accelerator

        Parallel.ended_cleanly = False

        # DDP warns once per run that a 1x1 convolution's weight gradient has other strides than its
        # bucket (they differ only on size-1 dimensions: the same memory layout); nothing to fix
        warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
        # without cpu=True, accelerate treats processes on a machine with no GPU as one process each
        self.accelerator = Accelerator(cpu=resolve_device(device).type == "cpu")
        self.device = self.accelerator.device
        self.rank = self.accelerator.process_index
        self.count = self.accelerator.num_processes
        self.is_main = self.accelerator.is_main_process

    def prepare(self, model: nn.Module) -> nn.Module:
        return self.accelerator.prepare(model)

    def mean(self, metrics: dict[str, float]) -> dict[str, float]:
        names = sorted(metrics)
        values = torch.tensor([float(metrics[k]) for k in names], device=self.device)
        values = self.accelerator.reduce(values, reduction="mean")
        return dict(zip(names, values.tolist(), strict=True))

    def wait(self) -> None:
        self.accelerator.wait_for_everyone()

    def finish(self) -> None:
        self.wait()
        Parallel.ended_cleanly = True


def _destroy_process_group() -> None:
    """Tear the process group down while the interpreter is still whole. Left to the interpreter's
    own teardown, gloo's worker threads are destroyed while joinable and the process aborts
    ("terminate called without an active exception", SIGABRT) after a finished run, at random."""
    if Parallel.ended_cleanly and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


atexit.register(_destroy_process_group)  # a no-op unless a launched run ended cleanly
