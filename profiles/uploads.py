"""Uploaded photos: size-capped while they stream in, then checked, resized and re-encoded."""

import io
import os
import tempfile
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
AVATAR_SIZE = 400


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: drops any uploaded file bigger than MAX_UPLOAD_SIZE
    while it streams in, so a 20 MB file never reaches memory or disk. The request notes
    the dropped field names in request.oversized_uploads for the form to explain."""

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_SIZE:
            oversized = getattr(self.request, "oversized_uploads", set())
            oversized.add(self.field_name)
            self.request.oversized_uploads = oversized
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


def too_large_message() -> str:
    return _("This file is too large: the limit is %(limit)s.") % {
        "limit": filesizeformat(settings.MAX_UPLOAD_SIZE)
    }


def process_avatar(upload) -> ContentFile:
    """A square JPEG of AVATAR_SIZE pixels, without EXIF, from an uploaded image.

    Raises ValidationError with a message fit for the member for anything that is not a
    plain raster photo: SVG, non-images, truncated files, decompression bombs.
    """
    if upload.size > settings.MAX_UPLOAD_SIZE:
        raise ValidationError(too_large_message(), code="too_large")
    head = upload.read(512)
    upload.seek(0)
    if b"<svg" in head.lower() or b"<?xml" in head.lower():
        raise ValidationError(
            _("SVG images are not accepted: upload a JPEG, PNG or WebP photo."), code="svg"
        )
    not_an_image = ValidationError(
        _("This file is not an image we can read: upload a JPEG, PNG or WebP photo."),
        code="not_image",
    )
    bomb = ValidationError(
        _("This image has too many pixels (the limit is %(limit)s megapixels).")
        % {"limit": settings.AVATAR_MAX_PIXELS // 1_000_000},
        code="too_many_pixels",
    )
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                if probe.width * probe.height > settings.AVATAR_MAX_PIXELS:
                    raise bomb
                probe.verify()
            # verify() leaves the image unusable: reopen to decode it for real.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode not in ("RGB", "L"):
                    image = image.convert("RGBA")
                    background = Image.new("RGB", image.size, (255, 255, 255))
                    background.paste(image, mask=image.getchannel("A"))
                    image = background
                square = ImageOps.fit(
                    image.convert("RGB"), (AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    output = io.BytesIO()
    # A fresh encode carries no EXIF (GPS, camera serial) from the original.
    square.save(output, format="JPEG", quality=85, optimize=True)
    return ContentFile(output.getvalue(), name="avatar.jpg")


class AtomicFileSystemStorage(FileSystemStorage):
    """Writes each file to a temporary name in the target directory, flushes it to disk, then
    links it into place: a failure midway (disk full, I/O error) leaves no partial file, and
    readers never see a half-written one."""

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as target:
                content.seek(0)
                for chunk in content.chunks():
                    target.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                target.flush()
                os.fsync(target.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while True:
                try:
                    os.link(temporary, full_path)  # never overwrites, unlike rename
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            os.unlink(temporary)
        return str(name).replace("\\", "/")
