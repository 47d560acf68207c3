"""Small things from the browser walk (issue 19, item 26)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from profiles.templatetags.when import ago

ROOT = Path(__file__).resolve().parents[1]


def test_page_titles_separate_the_page_from_the_site_name(alice_client, alice):
    alice.display_name = "Martina Ferri"
    alice.save()

    home = alice_client.get("/").content.decode()
    profile = alice_client.get(alice.get_absolute_url()).content.decode()

    assert re.search(r"<title>\S.* · Gilda</title>", home)
    assert "<title>Martina Ferri · Gilda</title>" in profile


def test_under_a_minute_reads_adesso_never_zero_minutes():
    with translation.override("it"):
        assert ago(timezone.now()) == "adesso"
        assert ago(timezone.now() - timedelta(hours=3)) == "3\xa0ore fa"
    with translation.override("en"):
        assert ago(timezone.now() - timedelta(seconds=5)) == "just now"


def test_new_members_collapse_into_one_line(bob_client, closed_group):
    page = bob_client.get(closed_group.get_absolute_url()).content.decode()

    assert page.count('data-testid="new-members"') == 1
    assert "Nuovo membro" not in page
    assert "Nuovi membri:" in page


def test_group_cards_show_the_description(client, closed_group):
    page = client.get(reverse("groups:list")).content.decode()

    card = re.search(r'data-testid="group-card-description">([^<]*)<', page)
    assert card and "Il gruppo di chi scrive per mestiere." in card.group(1)


def test_moderation_log_labels_every_cell_for_a_phone(alice_client, closed_group, bob):
    page = alice_client.get(reverse("groups:log", args=[closed_group.slug])).content.decode()
    css = (ROOT / "static" / "css" / "gilda.css").read_text()

    assert 'class="striped stack-on-phone"' in page
    for row in re.findall(r"<tr><td(?! colspan).*?</tr>", page):
        assert row.count("<td data-label=") == 5
    assert re.search(r"@media \(max-width: 576px\)[^@]*table\.stack-on-phone", css)
    assert "td[data-label]::before" in css


def test_request_badge_never_wraps_away_from_its_link():
    css = (ROOT / "static" / "css" / "gilda.css").read_text()

    assert re.search(r"a:has\(> \.badge\) \{\s*white-space: nowrap;", css)


def test_italian_uses_one_word_for_connections():
    words = set()
    for po in ROOT.glob("*/locale/it/LC_MESSAGES/django.po"):
        for msgstr in re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', po.read_text(), re.MULTILINE):
            words.update(re.findall(r"\b(contatt\w*|collegament\w*|connession\w*)", msgstr.lower()))

    assert words and all(word.startswith("connession") for word in words), words


def test_city_suggestions_offer_towns_not_quarters_of_rome_and_milan():
    from groups.views.directory import city_suggestions

    suggestions = city_suggestions()

    assert {"Roma", "Milano", "Monza", "Torino"} <= set(suggestions)
    for quarter in ["Quarto Oggiaro", "Acilia-Castel Fusano-Ostia Antica", "Trastevere"]:
        assert quarter not in suggestions


@pytest.mark.parametrize("quarter", ["Trastevere", "Quarto Oggiaro"])
def test_a_quarter_typed_by_hand_is_still_found(quarter):
    from profiles import gazetteer

    assert gazetteer.find(quarter) is not None


def test_fresh_times_read_adesso_on_the_queue_and_the_threads(
    closed_group, alice_client, bob, django_capture_on_commit_callbacks
):
    from groups.models import Post

    Post.ask(closed_group, bob, title="Tariffe per un naming?", body="Quanto chiedete?")
    pages = [
        alice_client.get(reverse("groups:queue", args=[closed_group.slug])),
        alice_client.get(reverse("groups:threads", args=[closed_group.slug])),
    ]
    html = "".join(page.content.decode() for page in pages)
    assert "0 minuti" not in html
    assert "richiesta adesso" in html
    assert "attiva adesso" in html
