import re

import pytest


@pytest.fixture
def directory_url():
    from django.urls import reverse

    return reverse("directory")


@pytest.fixture
def cards():
    """cards(response): the members listed, in order, by user id."""

    def cards(response) -> list[int]:
        return [int(pk) for pk in re.findall(rb'data-member="(\d+)"', response.content)]

    return cards


@pytest.fixture
def distances():
    """distances(response): the distance shown on each card that has one, as text."""

    def distances(response) -> list[str]:
        return [
            text.decode()
            for text in re.findall(rb'data-testid="distance"[^>]*>([^<]*)<', response.content)
        ]

    return distances
