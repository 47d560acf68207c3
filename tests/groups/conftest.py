import pytest

from groups.models import Post


@pytest.fixture
def question(closed_group, bob):
    return Post.ask(
        closed_group,
        bob,
        title="Quanto chiedere per un naming?",
        body="Mi hanno chiesto un **naming** per una startup. Che tariffe applicate?",
    )


@pytest.fixture
def answer(question, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return question.answer(alice, body="Dipende dalle verifiche sui marchi: da 1.500 euro.")
