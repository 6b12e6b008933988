"""Loading the frameworks the rows run, each the way its users would, without its heavy extras."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import os
import sys
import types
from typing import Any

import numpy as np


def version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def tensor(array: np.ndarray) -> Any:
    """A float64 (or int64) torch tensor of a NumPy array."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


@functools.cache
def smp_losses() -> types.ModuleType:
    """``segmentation_models_pytorch.losses`` without the package's ``__init__``, which
    imports torchvision and timm (install SMP with ``pip install --no-deps``)."""
    return _smp_submodule("losses")


@functools.cache
def smp_metrics() -> types.ModuleType:
    """``segmentation_models_pytorch.metrics``, loaded as :func:`smp_losses` is."""
    return _smp_submodule("metrics")


def _smp_submodule(name: str) -> types.ModuleType:
    if "segmentation_models_pytorch" not in sys.modules:
        spec = importlib.util.find_spec("segmentation_models_pytorch")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("segmentation_models_pytorch is not installed (pip install --no-deps ...)")
        package = types.ModuleType("segmentation_models_pytorch")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        sys.modules["segmentation_models_pytorch"] = package
    return importlib.import_module(f"segmentation_models_pytorch.{name}")


@functools.cache
def keras3() -> types.ModuleType:
    """Keras 3 on its torch backend (the backend is chosen before the first import)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = importlib.import_module("keras")
    if keras.backend.backend() != "torch":
        raise RuntimeError(f"Keras 3 runs on the {keras.backend.backend()!r} backend here; set KERAS_BACKEND=torch")
    return keras


@functools.cache
def keras2() -> types.ModuleType:
    """Keras 2 as TensorFlow ships it now (``tf_keras``, on ``tensorflow-cpu``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return importlib.import_module("tf_keras")


@functools.cache
def jax_x64() -> tuple[types.ModuleType, types.ModuleType]:
    """``(jax.numpy, optax)`` with float64 enabled."""
    jax = importlib.import_module("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return importlib.import_module("jax.numpy"), importlib.import_module("optax")
