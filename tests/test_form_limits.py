"""Client-side limits match the server's: every text box the server limits carries maxlength,
so a browser stops the typing at the limit instead of sending text the server refuses (or, past
the upload cap, a bare 400 that loses it). And when the server does refuse, the form comes back
with its message and with what was typed.

Two walks, neither listing fields by hand: every Django form class of the three apps, field by
field (a server limit must render as the same maxlength); and the pages each role sees, every
rendered text box (hand-written ones included) must carry a maxlength."""

import inspect
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django import forms
from django.core.validators import MaxLengthValidator
from django.urls import reverse

import connections.forms
import groups.forms
import profiles.forms
from groups.models import JoinRequest, Post

TEXT_TYPES = {"text", "search", "email", "url", "tel", None}
# No server-side maximum on a password (allauth hashes any length within the upload cap).
UNLIMITED = {"password", "password1", "password2", "oldpassword"}


def server_limit(form: forms.BaseForm, name: str) -> int | None:
    field = form.fields[name]
    limits = [field.max_length] if getattr(field, "max_length", None) else []
    limits += [v.limit_value for v in field.validators if isinstance(v, MaxLengthValidator)]
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            model_field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a form-only field
            model_field = None
        if model_field is not None and getattr(model_field, "max_length", None):
            limits.append(model_field.max_length)
    return min(limits) if limits else None


def form_classes():
    for module in (profiles.forms, groups.forms, connections.forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def build(cls, context: dict) -> forms.BaseForm:
    """An unbound instance, given what its constructor asks for by name."""
    kwargs = {
        name: context[name]
        for klass in cls.__mro__
        if "__init__" in vars(klass)
        for name, parameter in inspect.signature(klass.__init__).parameters.items()
        if parameter.kind == parameter.KEYWORD_ONLY and parameter.default is parameter.empty
    }
    if issubclass(cls, forms.ModelForm):  # a stored row (the personas'), for forms that read it
        kwargs["instance"] = cls._meta.model._default_manager.first()
    return cls(**kwargs)


def test_every_limited_form_field_renders_the_same_maxlength(bob, closed_group, thread):
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import Event

    starts = timezone.now() + timedelta(days=2)
    event = Event.objects.create(
        group=closed_group, title="Incontro", format="online", online_url="https://x.example",
        starts_at=starts, ends_at=starts + timedelta(hours=1),
    )  # fmt: skip
    context = {
        "event": event,
        "profile": bob.profile,
        "user": bob,
        "group": closed_group,
        "pending": JoinRequest.objects.none(),
        "seat": SimpleNamespace(group=closed_group, user=bob),
    }
    checked, missing = 0, []
    for cls in form_classes():
        form = build(cls, context)
        for name, bound in form.fields.items():
            limit = server_limit(form, name)
            widget = bound.widget
            typed = isinstance(widget, forms.Textarea) or (
                isinstance(widget, forms.widgets.Input) and widget.input_type in TEXT_TYPES
            )
            if limit is None or not typed:
                continue  # choices, dates, files, hidden: nothing typed to cut short
            checked += 1
            html = str(form[name])
            if f'maxlength="{limit}"' not in html:
                missing.append(f"{cls.__name__}.{name}: limit {limit}, rendered {html[:120]}")
    assert checked >= 15  # the walk really found the forms
    assert missing == []


class TextBoxes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.boxes: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        typed = tag == "textarea" or (tag == "input" and a.get("type") in TEXT_TYPES)
        if typed and a.get("name") and "readonly" not in a and "disabled" not in a:
            self.boxes.append(a | {"tag": tag})


def boxes_without_maxlength(client, pages: list[str]) -> tuple[int, list[str]]:
    seen, missing = 0, []
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        parser = TextBoxes()
        parser.feed(response.content.decode())
        for box in parser.boxes:
            if box["name"] in UNLIMITED or box.get("type") == "password":
                continue
            seen += 1
            if not (box.get("maxlength") or "").isdigit():
                missing.append(f"{page}: <{box['tag']} name={box['name']}>")
    return seen, missing


@pytest.fixture
def thread(closed_group, bob, alice, django_capture_on_commit_callbacks):
    question = Post.ask(closed_group, bob, title="Domanda lunga", body="Corpo della domanda.")
    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Una risposta.")
    return question


def test_every_text_box_on_every_page_carries_a_maxlength(
    client, bob_client, alice_client, dave_client, bob, dave, closed_group, thread, carol
):
    slug = closed_group.slug
    anonymous = ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
    member = [
        bob.get_absolute_url(),
        *[
            f"{bob.get_absolute_url()}?edit={section}"
            for section in ("about", "skills", "experience", "location", "needs", "links")
        ],
        dave.get_absolute_url(),
        reverse("groups:list"),
        reverse("groups:search"),
        reverse("groups:threads", args=[slug]),
        reverse("groups:thread", args=[slug, thread.pk]),
        reverse("groups:ask", args=[slug]),
        reverse("groups:create"),
        reverse("directory"),
        reverse("connections:network"),
    ]
    owner = [
        reverse("groups:edit", args=[slug]),
        reverse("groups:members", args=[slug]),
        reverse("groups:queue", args=[slug]),
        reverse("groups:reports", args=[slug]),
        reverse("groups:post_edit", args=[slug, thread.pk]),
    ]
    outsider = [reverse("groups:join", args=[slug])]

    results = [
        boxes_without_maxlength(client, anonymous),
        boxes_without_maxlength(bob_client, member),
        boxes_without_maxlength(alice_client, owner),
        boxes_without_maxlength(dave_client, outsider),
    ]
    assert sum(seen for seen, _ in results) >= 25  # the walk really found the text boxes
    missing = [box for _, found in results for box in found]
    assert missing == [], "\n".join(missing)


def test_an_oversized_answer_comes_back_with_the_message_and_the_typed_text(
    bob_client, bob, thread
):
    slug = thread.group.slug
    typed = "Testo scritto con cura. " * 834  # 20,016 characters: over the 20,000 limit
    response = bob_client.post(reverse("groups:answer", args=[slug, thread.pk]), {"body": typed})

    assert response.status_code == 400  # the page again, with the form's errors
    content = response.content.decode()
    error = re.search(r'data-testid="error-body">(.*?)</div>', content, re.S).group(1)
    assert "20000" in error.replace(".", "")  # the server's message names the limit
    assert typed.strip() in content  # nothing typed is lost
    assert not Post.objects.filter(question=thread, author=bob).exists()


def test_an_oversized_question_comes_back_with_the_message_and_the_typed_text(
    bob_client, closed_group
):
    title = "Come si scrive un titolo troppo lungo? " * 6  # 234 characters, limit 200
    body = "Un corpo che va conservato. " * 10
    response = bob_client.post(
        reverse("groups:ask", args=[closed_group.slug]), {"title": title, "body": body}
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert title.strip() in content
    assert body.strip() in content
    assert 'maxlength="200"' in content
    assert not Post.objects.filter(group=closed_group, title__startswith="Come si scrive").exists()
