"""config/wsgi.py calls settings.WSGI_WARM_UP as a worker starts: each entry must import and
leave its cost paid (the gazetteer read, so that no request reads it)."""

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from profiles import gazetteer


def test_every_warm_up_imports_and_runs():
    for path in settings.WSGI_WARM_UP:
        import_string(path)()
    assert gazetteer._read_places.cache_info().currsize == 1


def test_threads_asking_at_once_read_the_gazetteer_once():
    gazetteer._read_places.cache_clear()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(gazetteer._places())) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gazetteer._read_places.cache_info().misses == 1
    assert all(result is results[0] for result in results)
