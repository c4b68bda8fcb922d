"""Image conversion and player layouts (superpixels, grid cells) for image maskers.

One conversion for every entry point (core, shap / lime / captum adapters, command line):
images enter as file paths, PIL images, numpy ``(H, W, 3)`` / ``(H, W)`` arrays (uint8, or
floats in [0, 1]) or torch ``(C, H, W)`` tensors, and are used internally as float32 RGB
``(3, H, W)`` tensors in [0, 1] (``as_image_tensor``; ``as_image_batch`` for ``(B, 3, H, W)``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from ._checks import check_count


def _is_pil(image: object) -> bool:
    return type(image).__module__.startswith("PIL.")


IMAGE_FORMS = "an image file path, a PIL image, an (H, W, 3) or (H, W) array, or a (C, H, W) tensor"
RANGE_TOLERANCE = 1e-6


def as_image_tensor(image: object, name: str = "image",
                    pixel_range: tuple[float, float] | None = None) -> torch.Tensor:
    """Convert an image to a float32 RGB ``(3, H, W)`` tensor in [0, 1] — the library's one
    input rule, shared by the core, the adapters and the command line:

    - forms: a path or a PIL image (read as ``load_image`` reads files: EXIF orientation, RGB),
      an ``(H, W, C)`` / ``(H, W)`` array, or a ``(C, H, W)`` / ``(H, W)`` tensor;
    - range: uint8 is divided by 255; floats must already lie in [0, 1]; anything else needs
      ``pixel_range=(low, high)``, mapped linearly onto [0, 1];
    - channels: greyscale is repeated into RGB; an alpha channel is composited on white (with a
      warning, as every conversion that loses information is).

    Anything else is a ValueError naming ``name``.

    >>> as_image_tensor(np.zeros((4, 5), dtype=np.uint8)).shape
    torch.Size([3, 4, 5])
    >>> float(as_image_tensor(np.full((2, 2, 3), 255.0), pixel_range=(0, 255)).max())
    1.0
    """
    if isinstance(image, (str, Path)) or _is_pil(image):
        array, notes = load_image(image, name=name) if isinstance(image, (str, Path)) else rgb_array(image, name)
        for note in notes:
            warnings.warn(note, stacklevel=2)
        image = array
    if isinstance(image, torch.Tensor):
        tensor = image.detach()
        tensor = tensor[None] if tensor.ndim == 2 else tensor
        if tensor.ndim != 3 or tensor.shape[0] not in (1, 3, 4):
            hint = ("; it looks channels-last (H, W, C): pass tensor.permute(2, 0, 1)"
                    if tensor.ndim == 3 and tensor.shape[-1] in (1, 3, 4) else "")
            raise ValueError(f"{name} as a tensor must have shape (C, H, W) with C = 1, 3 or 4, "
                             f"got {tuple(tensor.shape)}{hint}")
    else:
        array = np.asarray(image)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"{name} must be {IMAGE_FORMS}, got {type(image).__name__} ({array.dtype})")
        array = array[:, :, None] if array.ndim == 2 else array
        if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
            raise ValueError(f"{name} must be {IMAGE_FORMS}, got {type(image).__name__} of shape {array.shape}")
        tensor = torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))
    if tensor.shape[1] == 0 or tensor.shape[2] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)})")
    return _rgb_channels(_unit_range(tensor, name, pixel_range), name)


def _unit_range(tensor: torch.Tensor, name: str, pixel_range: tuple[float, float] | None) -> torch.Tensor:
    """Pixel values mapped onto [0, 1] by the library's range rule (see ``as_image_tensor``)."""
    if pixel_range is not None:
        low, high = _check_range(pixel_range)
        tensor = (tensor.float() - low) / (high - low)
    elif tensor.dtype == torch.uint8:
        tensor = tensor.float() / 255.0
    elif not tensor.is_floating_point():
        raise ValueError(f"{name} has {str(tensor.dtype).replace('torch.', '')} pixels; pass uint8 (0..255), floats "
                         "in [0, 1], or convert with as_image_tensor(image, pixel_range=(low, high))")
    # rounding of the input's own precision (float16 / bfloat16 images land a step outside [0, 1])
    tolerance = max(RANGE_TOLERANCE, 4 * torch.finfo(tensor.dtype).eps) if tensor.is_floating_point() else RANGE_TOLERANCE
    tensor = tensor.float()
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name} contains NaN or inf pixels")
    low, high = float(tensor.min()), float(tensor.max())
    if low < -tolerance or high > 1 + tolerance:
        raise ValueError(
            f"{name} has pixel values in [{low:.7g}, {high:.7g}]; float images must lie in [0, 1] (uint8 is divided "
            f"by 255): divide by 255, or convert with axiomatic_search.images.as_image_tensor({name}, "
            "pixel_range=(0, 255))")
    return tensor.clamp(0.0, 1.0)


def _check_range(pixel_range: object) -> tuple[float, float]:
    try:
        low, high = (float(value) for value in pixel_range)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"pixel_range must be (low, high), got {pixel_range!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise ValueError(f"pixel_range must be two finite numbers with low < high, got {pixel_range!r}")
    return low, high


def _rgb_channels(tensor: torch.Tensor, name: str) -> torch.Tensor:
    """Greyscale repeated into RGB; an alpha channel composited on white, with a warning."""
    if tensor.shape[0] == 1:
        return tensor.expand(3, -1, -1).contiguous()
    if tensor.shape[0] == 4:
        warnings.warn(f"{name}: transparency composited on white", stacklevel=3)
        alpha = tensor[3:]
        return tensor[:3] * alpha + (1.0 - alpha)
    return tensor


def as_image_batch(images: object, name: str = "images",
                   pixel_range: tuple[float, float] | None = None) -> torch.Tensor:
    """Images as one float32 ``(B, C, H, W)`` tensor in [0, 1]: a ``(B, C, H, W)`` tensor, a
    ``(B, H, W, C)`` array, a list of images, or one image (any form ``as_image_tensor`` takes).

    >>> as_image_batch([np.zeros((4, 5, 3)), torch.ones(3, 4, 5)]).shape
    torch.Size([2, 3, 4, 5])
    """
    several = isinstance(images, (list, tuple)) or (
        isinstance(images, (torch.Tensor, np.ndarray)) and images.ndim == 4)
    items = ([as_image_tensor(image, f"{name}[{k}]", pixel_range) for k, image in enumerate(images)] if several
             else [as_image_tensor(images, name, pixel_range)])
    if not items:
        raise ValueError(f"{name} is empty; pass at least one image")
    shapes = {tuple(item.shape) for item in items}
    if len(shapes) != 1:
        raise ValueError(f"{name} hold images of different shapes {sorted(shapes)}; a batch needs one size")
    return torch.stack(items)


def to_numpy_image(image: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` tensor to an ``(H, W, C)`` float array for plotting."""
    return image.detach().cpu().permute(1, 2, 0).numpy()


def slic_segments(
    image: object, n_segments: int = 50, compactness: float = 10.0, sigma: float = 3.0
) -> np.ndarray:
    """SLIC superpixels with the paper's defaults, labelled ``0 .. n-1``.

    >>> from skimage import data
    >>> labels = slic_segments(data.astronaut()[::8, ::8], n_segments=10)
    >>> int(labels.min()), labels.shape
    (0, (64, 64))
    """
    from skimage.segmentation import slic

    check_count(n_segments, "n_segments")
    if not (np.isfinite(compactness) and compactness > 0 and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"compactness must be > 0 and sigma ≥ 0, got {compactness} and {sigma}")
    pixels = as_image_tensor(image).cpu().permute(1, 2, 0).numpy().astype(np.float64)
    channel_axis = -1 if pixels.shape[2] == 3 else None
    if channel_axis is None:
        pixels = pixels[:, :, 0]
    labels = slic(pixels, n_segments=n_segments, compactness=compactness, sigma=sigma,
                  start_label=0, channel_axis=channel_axis)
    return relabel(labels)


def grid_segments(height: int, width: int, cells: int | tuple[int, int], name: str = "cells") -> np.ndarray:
    """Square-ish grid cells: ``cells`` rows × columns (or a ``(rows, cols)`` pair).

    >>> grid_segments(4, 4, 2).tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    """
    rows, cols = (cells, cells) if isinstance(cells, int) else cells
    if rows < 1 or cols < 1 or rows > height or cols > width:
        raise ValueError(f"{name}={cells} must be between 1 and the image size ({height}, {width}) in grid cells")
    row_ids = np.arange(height) * rows // height
    col_ids = np.arange(width) * cols // width
    return row_ids[:, None] * cols + col_ids[None, :]


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels renumbered ``0 .. n-1`` in order of first value."""
    return np.unique(np.asarray(labels), return_inverse=True)[1].reshape(np.shape(labels))


def check_segmentation(segmentation: object, height: int, width: int, name: str = "segmentation") -> np.ndarray:
    """An integer ``(H, W)`` label map matching the image, relabelled ``0 .. n-1``."""
    labels = np.asarray(segmentation)
    if labels.shape != (height, width):
        raise ValueError(
            f"{name} has shape {labels.shape} but the image is {height}×{width}; "
            "they must match pixel for pixel"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must hold integer labels, got dtype {labels.dtype}")
    return relabel(labels)


def load_image(path: str | Path, size: int | None = None, name: str = "image") -> tuple[np.ndarray, list[str]]:
    """An image file as a float ``(H, W, 3)`` array in [0, 1], and notes on what was converted.

    Any format PIL reads; the EXIF orientation is applied; grayscale and palette images become
    RGB, and transparent ones are composited on white (each with a note). ``size`` resizes to
    ``size × size`` (JPEGs are decoded at a reduced scale first, so a 12-megapixel photo never
    sits in memory at full size). Missing or unreadable files raise a ValueError naming ``name``.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{name}: no such file: {path}")
    try:
        with Image.open(path) as opened:
            original = opened.size
            if opened.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # an EXIF orientation that turns it 90°
                original = original[::-1]
            if size is not None:
                opened.draft("RGB", (size, size))  # JPEG: decode at the smallest scale ≥ size
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(f"{name}: {path} is not an image file PIL can read ({error})") from None
    image, notes = _rgb(image, name)
    if size is not None and image.size != (size, size):
        notes.append(f"{name}: resized from {original[0]}×{original[1]} to {size}×{size}")
        image = image.resize((size, size), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32) / 255.0, notes


def rgb_array(image: object, name: str = "image") -> tuple[np.ndarray, list[str]]:
    """A PIL image as a float ``(H, W, 3)`` array in [0, 1], and notes on what was converted."""
    converted, notes = _rgb(image, name)
    return np.asarray(converted, dtype=np.float32) / 255.0, notes


def _rgb(image, name: str):
    """A PIL image in RGB: 16-bit greyscale rescaled, transparency composited on white."""
    from PIL import Image

    notes: list[str] = []
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float greyscale: rescale, don't clip
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
        image = Image.fromarray((np.clip(values / top, 0, 1) * 255).round().astype(np.uint8))
        notes.append(f"{name}: {top:g}-scale greyscale rescaled to 8 bits and converted to RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        notes.append(f"{name}: transparency composited on white")
    elif image.mode not in ("RGB",):
        notes.append(f"{name}: {image.mode} image converted to RGB")
    return image.convert("RGB"), notes
