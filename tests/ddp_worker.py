"""One rank of the DDP test in tests/test_training_path.py (run as a script by that test).

Usage: python tests/ddp_worker.py RANK WORLD_SIZE INIT_FILE OUT_FILE

Every rank builds the same model and the same global batch, takes its own slice
of the batch, computes the losses under DistributedDataParallel (gloo, CPU) and
saves each loss value and the averaged parameter gradients to OUT_FILE.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import segref  # noqa: E402

NUM_CLASSES = 3
GLOBAL_BATCH = 4


def model_and_batch() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The same model and global batch on every rank and in the single-process reference."""
    torch.manual_seed(0)
    model = torch.nn.Conv2d(2, NUM_CLASSES, kernel_size=3, padding=1).double()
    x = torch.randn(GLOBAL_BATCH, 2, 8, 8, dtype=torch.float64)
    y = torch.randint(0, NUM_CLASSES, (GLOBAL_BATCH, 8, 8))
    y[:2, :3] = 255  # ignored pixels on the first ranks' images only: unequal counts per rank
    return model, x, y


LOSSES = {
    "dice": lambda z, y, distributed: segref.dice_loss(
        z, y, from_logits=True, per_image=False, ignore_index=255, distributed=distributed
    ),
    "dice_ce": lambda z, y, distributed: segref.dice_ce_loss(
        z, y, from_logits=True, per_image=False, ignore_index=255, include_background=False, distributed=distributed
    ),
    "jaccard_multilabel": lambda z, y, distributed: segref.jaccard_loss(
        z,
        torch.nn.functional.one_hot(y.clamp(max=NUM_CLASSES - 1), NUM_CLASSES).movedim(-1, 1).double(),
        from_logits=True,
        multilabel=True,
        per_image=False,
        distributed=distributed,
    ),
    "mcc": lambda z, y, distributed: segref.mcc_loss(
        z, y, from_logits=True, per_image=False, ignore_index=255, distributed=distributed
    ),
    "sensitivity_specificity": lambda z, y, distributed: segref.sensitivity_specificity_loss(
        z, y, from_logits=True, per_image=False, ignore_index=255, distributed=distributed
    ),
}


def main() -> None:
    rank, world, init_file, out_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    model, x, y = model_and_batch()
    ddp = DistributedDataParallel(model)
    share = GLOBAL_BATCH // world
    x_local, y_local = x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share]
    results = {}
    for name, loss_fn in LOSSES.items():
        for distributed in (True, False):
            ddp.zero_grad()
            loss = loss_fn(ddp(x_local), y_local, distributed)
            loss.backward()
            results[(name, distributed)] = (loss.detach(), [p.grad.clone() for p in model.parameters()])
    torch.save(results, out_file)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
