"""Shared pytest set-up for the doctests in segref/ and the tests in tests/."""

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one of several worker processes (pytest -n): one thread each, so that they do not compete for the cores
    import torch

    torch.set_num_threads(1)


def _require_cuda() -> None:
    """Skip the calling doctest, visibly, where CUDA is not available."""
    import torch

    if not torch.cuda.is_available():
        pytest.skip("CUDA example: torch.cuda.is_available() is False on this machine")


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["require_cuda"] = _require_cuda
