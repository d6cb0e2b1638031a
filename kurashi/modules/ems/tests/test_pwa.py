"""The tablet app installs like a native one (issue 18 point 8: the manifest had an SVG only)."""

import json

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image


def test_manifest_offers_png_icons_of_192_and_512_also_maskable(db: None) -> None:
    manifest = json.loads(Client().get(reverse("ems:manifest")).content)
    pngs = {
        (icon["sizes"], icon["purpose"]): icon["src"]
        for icon in manifest["icons"]
        if icon["type"] == "image/png"
    }
    assert set(pngs) == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for (sizes, purpose), src in pngs.items():
        path = finders.find(src.removeprefix("/static/"))
        assert path, src
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == sizes
            if purpose == "maskable":
                # A maskable icon fills its square: no transparent corner for the mask to show.
                assert image.convert("RGBA").getpixel((0, 0))[3] == 255
