"""What the command line checks before it loads a model: files, devices, budgets."""

from __future__ import annotations

import numpy as np
import torch

from ..images import load_image


class InputError(ValueError):
    """Bad command-line input: printed as one line naming the argument, exit code 2."""


def read_image(path: str, size: int, name: str) -> tuple[np.ndarray, list[str]]:
    """``load_image`` with its errors as ``InputError``."""
    try:
        return load_image(path, size, name)
    except ValueError as error:
        raise InputError(str(error)) from None


def check_device(device: str) -> str:
    """``device`` if torch can use it here."""
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise InputError(f"--device: {device!r} is not a torch device (cpu, cuda, cuda:1, mps)") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {device}: no CUDA GPU is available here; use --device cpu")
    if parsed.type == "cuda" and parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise InputError(f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) here")
    if parsed.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"--device {device}: MPS is not available here; use --device cpu")
    return device


def check_positive(value: int, name: str, minimum: int = 1) -> int:
    if value < minimum:
        raise InputError(f"{name} must be at least {minimum}, got {value}")
    return value
