import io

import pytest
from PIL import Image

from profiles import gazetteer
from profiles.models import Profile


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def region_only_alice(alice):
    """Alice lives in Lodi but shows only "Lombardia"."""
    profile = alice.profile
    profile.headline = "Copywriter per e-commerce"
    profile.set_location(gazetteer.find("Lodi"))
    profile.location_visibility = Profile.LocationVisibility.REGION
    profile.save()
    return alice


def _image_bytes(format: str = "PNG", size=(800, 600), colour=(200, 30, 60), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format, **save)
    return buffer.getvalue()


@pytest.fixture
def image_bytes():
    """image_bytes(format, size, colour, **save): a real image file's bytes."""
    return _image_bytes
