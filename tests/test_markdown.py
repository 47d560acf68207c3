import pytest
from django.core.exceptions import ValidationError

from config.markdown import count_links, render_markdown, validate_markdown


def test_corpus_is_large_enough(xss_payloads):
    assert len(xss_payloads) >= 60


def test_no_payload_survives_rendering(xss_payload, unsafe_parts):
    html = render_markdown(xss_payload)

    assert unsafe_parts(html) == [], html


def test_links_get_safe_rel():
    html = render_markdown("[Gilda](https://gilda.example.com)")

    assert 'href="https://gilda.example.com"' in html
    assert 'rel="nofollow ugc noopener noreferrer"' in html


def test_headings_are_demoted_below_the_page_title():
    assert render_markdown("# Titolo").startswith("<h3>")


def test_plain_formatting_survives():
    html = render_markdown("**grassetto** e _corsivo_\n\n- uno\n- due\n\n`codice`")

    assert "<strong>grassetto</strong>" in html
    assert "<em>corsivo</em>" in html
    assert "<li>uno</li>" in html
    assert "<code>codice</code>" in html


def test_count_links_counts_rendered_links():
    source = "[a](https://a.example) e [b](https://b.example) e <https://c.example>"

    assert count_links(source) == 3
    assert count_links("[x](javascript:alert(1))") == 0


def test_deeply_nested_markdown_renders_safely_and_is_refused_by_the_validator(unsafe_parts):
    source = ">" * 5000 + " profondo" + "\n" + "[" * 5000 + "x" + "]" * 5000

    assert unsafe_parts(render_markdown(source)) == []
    with pytest.raises(ValidationError) as error:
        validate_markdown(source)
    assert error.value.code == "markdown_nesting"


def test_ordinary_nesting_is_accepted():
    validate_markdown("> citazione\n>\n> - punto\n>   - sottopunto")
