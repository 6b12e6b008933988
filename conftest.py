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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (--dist loadgroup), the site tests of each generator share a worker: each
    worker then builds and crawls its generator's site once (a worker that alternated between the
    two would rebuild the session fixtures at each switch), and the two builds run side by side."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None or not hasattr(item, "callspec"):
            continue
        params = item.callspec.params
        generator = params.get("site_dir", params.get("generator"))
        if generator is not None:
            item.add_marker(pytest.mark.xdist_group(f"site-{generator}"))
