"""Avatar uploads: real images only, size-capped, resized to a square, EXIF stripped."""

import errno
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from profiles import uploads


def image_bytes(format: str = "PNG", size=(800, 600), colour=(200, 30, 60), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format, **save)
    return buffer.getvalue()


HX = {"HTTP_HX_REQUEST": "true"}


def upload(client, user, name, content, content_type="image/png", **extra):
    return client.post(
        user.get_absolute_url(),
        {"section": "avatar", "avatar": SimpleUploadedFile(name, content, content_type)},
        **extra,
    )


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_photo_is_cropped_to_a_400px_square_jpeg_without_exif(alice_client, alice, media_root):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x9286] = "secret comment"
    original = image_bytes("JPEG", size=(1200, 800), exif=exif.tobytes())
    assert b"SpyCam" in original

    response = upload(alice_client, alice, "me.jpg", original, "image/jpeg")

    assert response.status_code == 302
    alice.profile.refresh_from_db()
    assert alice.profile.avatar.name.startswith(f"avatars/{alice.pk}/")
    data = alice.profile.avatar.read()
    with Image.open(io.BytesIO(data)) as stored:
        assert (stored.format, stored.size) == ("JPEG", (400, 400))
        assert not stored.getexif()
    assert b"SpyCam" not in data and b"secret comment" not in data
    assert len(stored_files(media_root)) == 1
    html = alice_client.get(alice.get_absolute_url()).content.decode()
    assert f'src="/media/{alice.profile.avatar.name}"' in html
    assert 'data-testid="avatar-initials"' not in html


def test_a_transparent_png_gets_a_white_background(alice_client, alice, media_root):
    buffer = io.BytesIO()
    Image.new("RGBA", (500, 500), (0, 0, 0, 0)).save(buffer, format="PNG")
    upload(alice_client, alice, "me.png", buffer.getvalue())
    alice.profile.refresh_from_db()
    with Image.open(alice.profile.avatar) as stored:
        assert stored.convert("RGB").getpixel((200, 200)) == (255, 255, 255)


def test_a_new_photo_replaces_the_old_file(alice_client, alice, media_root):
    upload(alice_client, alice, "a.png", image_bytes())
    alice.profile.refresh_from_db()
    first = alice.profile.avatar.name
    upload(alice_client, alice, "b.png", image_bytes(colour=(0, 0, 255)))
    alice.profile.refresh_from_db()
    assert alice.profile.avatar.name != first
    assert [p.name for p in stored_files(media_root)] == [alice.profile.avatar.name.split("/")[-1]]


def test_removing_the_photo_deletes_the_file_and_shows_initials(alice_client, alice, media_root):
    upload(alice_client, alice, "a.png", image_bytes())
    alice_client.post(alice.get_absolute_url(), {"section": "avatar", "remove": "on"})
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar
    assert stored_files(media_root) == []
    assert (
        'data-testid="avatar-initials"'
        in alice_client.get(alice.get_absolute_url()).content.decode()
    )


def _bomb_png() -> bytes:
    # A 20000 x 20000 (400 MP) black PNG compresses to a few hundred kilobytes.
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
SVG_PLAIN = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


@pytest.mark.parametrize(
    "name, content, content_type, message",
    [
        ("notes.png", b"just some text, not an image", "image/png", "non è un&#x27;immagine"),
        ("evil.svg", SVG_SCRIPT, "image/svg+xml", "SVG"),
        ("plain.svg", SVG_PLAIN, "image/svg+xml", "SVG"),
        ("truncated.png", image_bytes()[:200], "image/png", "non è un&#x27;immagine"),
        (
            "doc.pdf",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            "application/pdf",
            "non è un&#x27;immagine",
        ),
        ("anim.tiff", image_bytes("TIFF"), "image/tiff", "non è un&#x27;immagine"),
    ],
)
def test_bad_files_get_a_clear_error_and_nothing_is_stored(
    alice_client, alice, media_root, name, content, content_type, message
):
    response = upload(alice_client, alice, name, content, content_type, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-avatar"' in html and message in html
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar
    assert stored_files(media_root) == []


def test_a_decompression_bomb_is_refused_before_decoding(alice_client, alice, media_root):
    bomb = _bomb_png()
    assert len(bomb) < 5 * 1024 * 1024
    response = upload(alice_client, alice, "bomb.png", bomb, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-avatar"' in html and "troppi pixel" in html
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar
    assert stored_files(media_root) == []


def test_pillows_own_bomb_guard_also_gives_a_form_error(alice_client, alice, media_root, settings):
    # With our pixel cap lifted, Pillow's DecompressionBombError must still end as a form error.
    settings.AVATAR_MAX_PIXELS = 10**12
    response = upload(alice_client, alice, "bomb.png", _bomb_png(), **HX)
    assert "troppi pixel" in response.content.decode()
    assert stored_files(media_root) == []


def test_a_20_mb_file_is_dropped_while_streaming_with_a_clear_error(
    alice_client, alice, media_root, settings, tmp_path
):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    big = image_bytes() + b"\0" * (20 * 1024 * 1024)
    response = upload(alice_client, alice, "big.png", big)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-avatar"' in html and "troppo grande: il limite è 5,0" in html
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar
    assert stored_files(media_root) == []
    assert [p for p in tmp_path.iterdir() if p.is_file()] == []


def test_an_empty_submit_asks_for_a_photo(alice_client, alice, media_root):
    response = alice_client.post(alice.get_absolute_url(), {"section": "avatar"}, **HX)
    assert 'data-testid="error-avatar"' in response.content.decode()


def test_htmx_upload_returns_the_header_with_the_new_photo(alice_client, alice, media_root):
    response = upload(alice_client, alice, "me.png", image_bytes(), **HX)
    html = response.content.decode()
    assert "<html" not in html
    assert 'id="profile-header"' in html and 'data-testid="avatar-img"' in html
    assert 'id="completeness"' in html


# A full disk during an avatar upload: a message, nothing partial on disk.
@pytest.fixture
def full_disk(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(uploads.os, "fsync", fsync)


def test_a_full_disk_gives_a_message_and_leaves_nothing_behind(
    alice_client, alice, media_root, full_disk, image_bytes
):
    response = upload(alice_client, alice, "foto.png", image_bytes("PNG"))

    assert response.status_code == 200
    assert "Non siamo riusciti a salvare la tua foto" in response.content.decode()
    assert stored_files(media_root) == []
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar


def test_a_full_disk_keeps_the_old_photo(alice_client, alice, media_root, monkeypatch, image_bytes):
    upload(alice_client, alice, "prima.png", image_bytes("PNG"))
    alice.profile.refresh_from_db()
    old = alice.profile.avatar.name
    assert [p.name for p in stored_files(media_root)] == [os.path.basename(old)]

    monkeypatch.setattr(
        uploads.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full"))
    )
    response = upload(alice_client, alice, "seconda.png", image_bytes("PNG", size=(500, 500)))

    assert response.status_code == 200
    alice.profile.refresh_from_db()
    assert alice.profile.avatar.name == old
    assert [p.name for p in stored_files(media_root)] == [os.path.basename(old)]
