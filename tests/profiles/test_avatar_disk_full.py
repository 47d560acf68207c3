"""A full disk during an avatar upload: a message on the form, nothing partial on disk, the
old photo kept. The disk fills when the written file is flushed (fsync raises ENOSPC, as a
real full disk does for delayed allocation), after bytes were already written."""

import errno
import os

import pytest

from profiles import uploads
from tests.profiles.conftest import image_bytes
from tests.profiles.test_avatar import stored_files, upload


@pytest.fixture
def full_disk(monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(uploads.os, "fsync", fsync)


def test_a_full_disk_gives_a_message_and_leaves_nothing_behind(
    alice_client, alice, media_root, full_disk
):
    response = upload(alice_client, alice, "foto.png", image_bytes("PNG"))

    assert response.status_code == 200
    assert "Non siamo riusciti a salvare la tua foto" in response.content.decode()
    assert stored_files(media_root) == []
    alice.profile.refresh_from_db()
    assert not alice.profile.avatar


def test_a_full_disk_keeps_the_old_photo(alice_client, alice, media_root, monkeypatch):
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
