"""Checking uploaded images and rendering IIIF Image API 3.0 level-0 derivatives (static tiles
and sizes) with Pillow. No Django models."""

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

TILE_SIZE = 512
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "TIFF": "image/tiff",
    "WEBP": "image/webp",
}


class ImageRejectedError(ValueError):
    """The file is not an image we accept; `code` says why (for the error message)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CheckedImage:
    width: int
    height: int
    mime_type: str
    extension: str


def check_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Accept `data` only if it is a JPEG/PNG/TIFF/WebP within the size and pixel limits.
    Decompression bombs are refused from the header, before any pixel is decoded."""
    if len(data) > max_bytes:
        raise ImageRejectedError("too_large", f"{len(data)} > {max_bytes} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                image_format = image.format or ""
                if width * height > max_pixels:
                    raise ImageRejectedError("too_many_pixels", f"{width}×{height}")
                if image_format not in ACCEPTED_FORMATS:
                    raise ImageRejectedError("unsupported_format", image_format)
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejectedError("too_many_pixels", str(error)) from error
    except ImageRejectedError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRejectedError("not_an_image", str(error)) from error
    extension = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp"}[image_format]
    return CheckedImage(width, height, ACCEPTED_FORMATS[image_format], extension)


def scale_factors(width: int, height: int, tile_size: int = TILE_SIZE) -> list[int]:
    factors = [1]
    while max(width, height) / factors[-1] > tile_size:
        factors.append(factors[-1] * 2)
    return factors


def sizes(width: int, height: int, tile_size: int = TILE_SIZE) -> list[tuple[int, int]]:
    """The whole-image sizes offered (smallest first), one per scale factor."""
    return sorted(
        {
            (math.ceil(width / factor), math.ceil(height / factor))
            for factor in scale_factors(width, height, tile_size)
        }
    )


def tile_paths(
    width: int, height: int, tile_size: int = TILE_SIZE
) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]]:
    """(region x,y,w,h; size w,h) of every level-0 tile, as IIIF clients request them."""
    tiles = []
    for factor in scale_factors(width, height, tile_size):
        step = tile_size * factor
        for y in range(0, height, step):
            for x in range(0, width, step):
                region_w, region_h = min(step, width - x), min(step, height - y)
                tiles.append(
                    (
                        (x, y, region_w, region_h),
                        (math.ceil(region_w / factor), math.ceil(region_h / factor)),
                    )
                )
    return tiles


def _save_jpeg(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85, optimize=True)


def render_level0(source: Path, target: Path, tile_size: int = TILE_SIZE) -> int:
    """Write the static tiles and sizes of `source` under `target` (the image's IIIF base);
    returns the number of files. Safe to run again (files are overwritten)."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    width, height = image.size
    count = 0
    for (x, y, region_w, region_h), (size_w, size_h) in tile_paths(width, height, tile_size):
        tile = image.crop((x, y, x + region_w, y + region_h))
        if (size_w, size_h) != (region_w, region_h):
            tile = tile.resize((size_w, size_h), Image.Resampling.LANCZOS)
        _save_jpeg(
            tile,
            target / f"{x},{y},{region_w},{region_h}" / f"{size_w},{size_h}" / "0" / "default.jpg",
        )
        count += 1
    for size_w, size_h in sizes(width, height, tile_size):
        scaled = (
            image
            if (size_w, size_h) == (width, height)
            else image.resize((size_w, size_h), Image.Resampling.LANCZOS)
        )
        _save_jpeg(scaled, target / "full" / f"{size_w},{size_h}" / "0" / "default.jpg")
        count += 1
    _save_jpeg(image, target / "full" / "max" / "0" / "default.jpg")
    return count + 1


def save_thumbnail(data: bytes, target: Path, size: int) -> None:
    """Decode `data` (already checked by check_image) and write it as a JPEG of at most
    size × size pixels."""
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, "JPEG", quality=85, optimize=True)
