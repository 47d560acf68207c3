import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from config.markdown import count_links, render_markdown, validate_markdown
from tests.xss_payloads import XSS_PAYLOADS

SAFE_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
SAFE_ATTRIBUTES = {"href", "title", "rel", "start", "align"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Audit(HTMLParser):
    """Collects every real tag and attribute in rendered HTML (escaped text is just text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                self.problems.append(f"attribute {name}={value!r} on <{tag}>")
            scheme = re.match(r"^\s*([a-z][a-z0-9+.-]*):", value or "", re.I)
            if name == "href" and scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
                self.problems.append(f"href {value!r}")


def unsafe_parts(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def test_corpus_is_large_enough():
    assert len(XSS_PAYLOADS) >= 60


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_survives_rendering(payload):
    html = render_markdown(payload)

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


def test_deeply_nested_markdown_renders_safely_and_is_refused_by_the_validator():
    source = ">" * 5000 + " profondo" + "\n" + "[" * 5000 + "x" + "]" * 5000

    assert unsafe_parts(render_markdown(source)) == []
    with pytest.raises(ValidationError) as error:
        validate_markdown(source)
    assert error.value.code == "markdown_nesting"


def test_ordinary_nesting_is_accepted():
    validate_markdown("> citazione\n>\n> - punto\n>   - sottopunto")
