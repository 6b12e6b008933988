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


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (--dist loadgroup), the site tests of each generator share a worker: each
    worker then builds and crawls its generator's site once (a worker that alternated between the
    two would rebuild the session fixtures at each switch), and the two builds run side by side.

    After every plugin's hook has run (pytest-xdist's adds the group to each node id), a grouped
    test whose node id has no group fails at set-up, saying why: the grouping was lost (pytest 9.2
    with pytest-xdist 3.8.0), and each worker would build and crawl every site, minutes more."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None or not hasattr(item, "callspec"):
            continue
        params = item.callspec.params
        generator = params.get("site_dir", params.get("generator"))
        if generator is not None:
            item.add_marker(pytest.mark.xdist_group(f"site-{generator}"))
    result = yield
    if getattr(config.option, "loadgroup", False):
        from importlib.metadata import version

        for item in items:
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
                item.stash[_UNGROUPED] = (
                    f"pytest-xdist --dist loadgroup did not group {item.nodeid} (marked xdist_group): pytest "
                    f"{version('pytest')} and pytest-xdist {version('pytest-xdist')} do not work together, and each "
                    "worker would build and crawl every site; install the versions pyproject.toml asks for "
                    '(python -m pip install -e ".[test]")'
                )
    return result


#: why a test marked xdist_group was not grouped (see pytest_collection_modifyitems)
_UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Fail an ungrouped test before any of its fixtures is set up (the site build and crawl among them)."""
    message = item.stash.get(_UNGROUPED, None)
    if message is not None:
        pytest.fail(message, pytrace=False)
