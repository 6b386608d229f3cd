"""Find code repositories, other links and arXiv mentions in free text (abstracts, comments).

`extract(text)` returns three tuples, each deduplicated in first-seen order:

- repositories: canonical repository URLs, owner and name lowercased (forges treat them
  case-insensitively), without sub-path, query, fragment or `.git`:
  ``https://github.com/owner/repo``, ``https://gitlab.com/group[/subgroup]/project`` (also
  self-hosted ``gitlab.*`` hosts), ``https://bitbucket.org/owner/repo``,
  ``https://codeberg.org/owner/repo``, ``https://gitee.com/owner/repo``,
  ``https://sourceforge.net/projects/name``. ``raw.githubusercontent.com`` files count as
  their GitHub repository.
- links: every other http(s) URL, bare ``www.`` URL (given ``http://``) and bare URL on a
  well-known host (given ``https://``), as ``graph.records.Link(url, kind)``. `kind` is one of
  `LINK_KINDS`:

  ============  ==============================================================
  profile       a user's or organisation's page on a forge: ``https://github.com/owner``
  huggingface   huggingface.co, hf.co
  zenodo        zenodo.org
  doi           doi.org, dx.doi.org; the URL is normalised to ``https://doi.org/<doi>``
  video         youtube.com, youtu.be, vimeo.com, bilibili.com
  dataset       kaggle.com, figshare.com, osf.io, data.mendeley.com, datadryad.org,
                dataverse.harvard.edu, paperswithcode.com/dataset(s)
  colab         colab.research.google.com
  project       anything else: owner.github.io pages, sites.google.com, lab pages, ...
  ============  ==============================================================

  Scheme and host are lowercased, an empty path becomes ``/`` (RFC 3986 6.2.3), the rest is
  kept as written (fragments too).
- mentions: arXiv IDs without version, "1704.02685" or "cs/9902010" (old-style IDs keep only
  the archive: "math.GT/0309136" is "math/0309136"). New-style IDs count only after an arXiv
  marker ("arXiv:", "arXiv ", "arxiv.org/abs/", "arxiv.org/pdf/", "arXiv admin note: text
  overlap with"): bare numbers are too often something else. Old-style IDs of a known archive count on their own.

Trailing text picked up with a URL is cut: closing punctuation (``.,;:!?'*$``), brackets that
were not opened inside the URL, LaTeX and Markdown delimiters. LaTeX escapes in URLs
(``\\_``, ``$\\_$``, ``\\%``, ``\\&``, ``\\#``, ``\\~``) are unescaped.

Repaired first (each repair is reported by `extract_noted` as a Change): broken schemes
(``https://https://``, ``ttps://``, ``https;//``, ``https:/``, ``https//``), a URL glued to
the one before it, a doubled ``https://doi.org/`` prefix, the ``github.co/`` typo, and a
repository name cut after ``_`` at a line wrap (``owner/name_ part``: rejoined unless the
next word is an ordinary English word). Also recognised as repositories: ``git.io/<code>``
short links (owner and name unknown), ``anonymous.4open.science/r/<name>`` (owner unknown),
and self-hosted forges by host shape (``git.``, ``gitea.``, ``gogs.``, ``forgejo.`` hosts;
``/-/`` in the path marks GitLab). arXiv DOIs (``10.48550/arXiv.2105.14656``) are mentions.

Dropped: malformed DOI links (``https://doi.org/`` with no DOI), placeholders of blinded
submissions (``github.com/anonymous/...``,
``github.com/xxx/xxx``, ``github.com/username/repo``), GitHub's own pages
(``github.com/features``), arxiv.org URLs (they are mentions), and any URL that
pyoxigraph does not accept as an IRI after percent-encoding the characters an IRI cannot hold,
so nothing returned here can break the RDF writer.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import pyoxigraph

from graph.model.records import Change, Link

LINK_KINDS = frozenset(
    {"profile", "huggingface", "zenodo", "doi", "video", "dataset", "colab", "project"}
)
"""Every `Link.kind` that `extract` can return."""

Extracted = tuple[tuple[str, ...], tuple[Link, ...], tuple[str, ...]]
_NOTHING: Extracted = ((), (), ())
_Target = tuple[str, str]  # ("repository" or a link kind, URL)

# Bare host names (no scheme, no www.) are recognised only on these hosts and their
# subdomains: elsewhere "word.word/word" is too often not a URL.
_BARE_HOSTS = (
    "github.com", "github.io", "gitlab.com", "bitbucket.org", "gitee.com", "codeberg.org",
    "huggingface.co", "hf.co", "youtu.be", "youtube.com", "doi.org", "zenodo.org",
    "sites.google.com", "kaggle.com",
)
# These end a URL in running text: an IRI cannot hold them, and in abstracts they are the
# LaTeX, Markdown or HTML delimiters around the URL.
_STOP = r"\s<>\"{}|\\^`\[\]"
# The finders run on the lowercased text without IGNORECASE, so that each keeps the regex
# engine's fast literal-prefix search; URLs are then sliced from the original text.
_SCHEME_RE = re.compile(rf"https?:[ \t]?//[^{_STOP}]+")
_WWW_RE = re.compile(rf"www\d{{0,3}}\.[\w-]+\.[^{_STOP}]+")
_BARE_RE = re.compile(rf"(?:{'|'.join(map(re.escape, _BARE_HOSTS))})(?![\w-])[^{_STOP}]*")
# Every bare host ends in one of these: one fast search rules out most texts.
_BARE_HINT_RE = re.compile(r"\.(?:com|io|org|co|be)(?![a-z])")
_SUBDOMAINS_RE = re.compile(r"(?:[\w-]+\.)+\Z")
_NOT_BEFORE_URL = frozenset("_@./-")
_LATEX_ESCAPE_RE = re.compile(r"\$\\_\$|\\([_%&#~])")
# arXiv's line wrapping leaves a space inside some URLs: after "github.com/", or after a
# hyphen ("Pixel- Level-Cycle"). After a hyphen the rejoined part must itself be hyphenated:
# before ordinary words the hyphen more likely ends the repository's name ("MAN-PAR-").
_SLASH_GAP_RE = re.compile(rf"[ \t]+(?=[\w-]+/[\w.-])[^{_STOP}]+")
_HYPHEN_GAP_RE = re.compile(rf" (?=[a-z0-9]+-[a-z0-9])[^{_STOP}]+")
_SPACE_RE = re.compile(r"[ \t]+")
_TRAILING = ".,;:!?'*$"

# Most URLs: scheme and host in lower case, no user, port, query or fragment, nothing urlsplit
# removes ("\t\r\n").
_PLAIN_URL_RE = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)+)(/[^?#\t\r\n]*)?")
_HOST_RE = re.compile(r"(?:[\w-]+\.)+[^\W\d_]{2,63}|\d{1,3}(?:\.\d{1,3}){3}")
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
# Not legal in an IRI path, query or fragment (RFC 3987): ASCII controls, space,
# "<>\^`{|}[]#" (urlsplit has already taken the first "#" as the fragment's start), C1
# controls, surrogates, private use (legal in queries only), non-characters, and a % that
# does not start an escape.
_NON_IRI_ASCII = "\x00-\x20\"<>\\\\^`{|}#\\[\\]\x7f"
_NON_IRI_ASCII_RE = re.compile(f"[{_NON_IRI_ASCII}]|%(?![0-9A-Fa-f]{{2}})")
_NON_CHARACTERS = "".join(chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF)
                          for plane in range(1, 15))
_NON_IRI_RE = re.compile(
    f"[{_NON_IRI_ASCII}\x80-\x9f\ud800-\uf8ff\ufdd0-\ufdef\ufff0-\uffff{_NON_CHARACTERS}"
    "\U000f0000-\U0010ffff]|%(?![0-9A-Fa-f]{2})"
)

_OWNER_PLACEHOLDERS = frozenset({
    "anonymous", "anon", "anonymized", "anonymised", "anonymous-author", "anonymous-authors",
    "anonymousauthor", "anonymous-user", "anonymoususer", "blinded", "blind", "removed",
    "hidden", "redacted", "username", "user", "user-name", "user_name", "yourname",
    "your-name", "your_name", "yourusername", "your-username", "your_username", "your-github",
    "your-account", "myname", "name", "owner", "author", "authors", "placeholder",
    "link-to-code", "tbd", "tba", "todo",
})
_REPO_PLACEHOLDERS = frozenset({
    "anonymous", "anon", "anonymized", "anonymised", "blinded", "removed", "hidden", "redacted",
    "placeholder", "your-repo", "yourrepo", "repo-name", "reponame", "repo_name",
    "repository-name", "project-name", "link-to-code", "tbd", "tba", "todo",
})
_ONLY_XS_RE = re.compile(r"[x_.-]*x[x_.-]*", re.IGNORECASE)
# First path segments of github.com that are GitHub's own pages, not an owner.
_GITHUB_RESERVED = frozenset({
    "features", "topics", "sponsors", "marketplace", "about", "pulls", "issues", "settings",
    "login", "logout", "join", "signup", "collections", "trending", "site", "apps", "explore",
    "notifications", "new", "pricing", "search", "enterprise", "security", "team", "stars",
    "watching", "dashboard", "codespaces", "customer-stories", "readme", "contact", "events",
    "account", "blog", "home", "mobile", "nonprofit", "open-source", "organizations",
})
_PROFILE_PREFIXES = frozenset({"orgs", "users", "groups"})
# GitLab paths nest groups; these segments start the part inside a project.
_GITLAB_MARKERS = frozenset({
    "-", "tree", "blob", "raw", "commits", "commit", "issues", "merge_requests", "wikis",
    "releases", "tags", "branches", "pipelines", "jobs", "archive", "snippets", "wiki",
})
_GITLAB_RESERVED = frozenset({"explore", "help", "dashboard", "search", "projects", "-"})
_SIMPLE_FORGES = frozenset({"github.com", "bitbucket.org", "codeberg.org", "gitee.com"})
# First host labels of self-hosted Gitea, Gogs, Forgejo or GitLab servers (git.uwaterloo.ca).
_SELF_HOSTED = frozenset({"git", "gitea", "gogs", "forgejo"})
_SHORT_LINK_HOSTS = frozenset({"git.io"})  # redirects to a repository it does not name
_ANONYMOUS_HOST = "anonymous.4open.science"
_MALFORMED_DOI = "malformed doi"  # a _Target kind: reported, never returned

# Repairs of what typing and line wrapping did to URLs, with the rule each reports.
_REPAIRS = (
    ("broken scheme", re.compile(r"\bhttps?://(?:https?:?/+)+", re.IGNORECASE), "https://"),
    ("broken scheme", re.compile(r"(?<![A-Za-z])ttp(s?)://"), r"http\1://"),
    ("broken scheme", re.compile(r"\b(https?)(?:;//|:/(?=[A-Za-z0-9])|//)", re.IGNORECASE), r"\1://"),
    ("doubled DOI prefix", re.compile(r"https?://(?:dx\.)?doi\.org/(?=https?://(?:dx\.)?doi\.org/)",
                                      re.IGNORECASE), ""),
    ("glued URLs", re.compile(r"(?<=[A-Za-z0-9])(?=https?://)"), " "),
    ("github.co typo", re.compile(r"\bgithub\.co(?=/)", re.IGNORECASE), "github.com"),
)
# Where a scheme may be broken: found from its literal "ttp" (fast), then checked in Python.
_SCHEME_CANDIDATE = re.compile(r"ttps?[:;/]")
# A repository name cut at a line wrap: "owner/name_" then the rest after a space.
_WRAP_RE = re.compile(r"(github\.com/[\w.-]+/[\w.-]*_) ([\w.-]+)", re.IGNORECASE)
_WRAP_STOP_WORDS = frozenset({"and", "or", "for", "the", "to", "in", "of", "with", "is", "are",
                              "which", "at", "on", "a", "an", "as", "by", "from", "this", "that"})

_KIND_BY_DOMAIN = {
    "huggingface.co": "huggingface", "hf.co": "huggingface",
    "zenodo.org": "zenodo",
    "doi.org": "doi",
    "youtube.com": "video", "youtu.be": "video", "youtube-nocookie.com": "video",
    "vimeo.com": "video", "bilibili.com": "video",
    "kaggle.com": "dataset", "figshare.com": "dataset", "osf.io": "dataset",
    "data.mendeley.com": "dataset", "datadryad.org": "dataset",
    "dataverse.harvard.edu": "dataset",
    "colab.research.google.com": "colab",
}

_ARCHIVES = (
    "acc-phys|adap-org|alg-geom|ao-sci|astro-ph|atom-ph|bayes-an|chao-dyn|chem-ph|cmp-lg|"
    "comp-gas|cond-mat|cs|dg-ga|funct-an|gr-qc|hep-ex|hep-lat|hep-ph|hep-th|math-ph|math|"
    "mtrl-th|nlin|nucl-ex|nucl-th|patt-sol|physics|plasm-ph|q-alg|q-bio|quant-ph|solv-int|"
    "stat|supr-con"
)
_OLD_ID = rf"(?P<arch>{_ARCHIVES})(?:\.[a-z-]+)?/(?P<old>\d{{7}})(?!\d)"
# arXiv's own "arXiv admin note: text overlap with 1802.09058" is a marker too.
_MARKED_ID_RE = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf|ps|format|html)/|[ \t]+admin note:[^.]{0,40}?overlap with[ \t]+"
    r"|\.(?=\d{4}\.\d)|[ \t]*:?[ \t]*)"
    rf"(?:(?P<new>\d{{4}}\.\d{{4,5}})(?!\d)|{_OLD_ID})"
)
# An old-style ID needs no marker: its archive prefix is distinctive enough. It is found
# from its "/NNNNNNN" (a fast literal search) and the archive is checked backwards.
_OLD_NUMBER_RE = re.compile(r"/(\d{7})(?!\d)")
_ARCHIVE_BEFORE_RE = re.compile(rf"(?<![\w/.:-])({_ARCHIVES})(?:\.[a-z-]+)?\Z")
_URL_START_RE = re.compile(r"https?://", re.IGNORECASE)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def extract(text: str) -> Extracted:
    """Return (repositories, links, mentions) found in `text`, each in first-seen order.

    See the module docstring for what each holds. Never raises on any string.
    """
    return extract_noted(text)[0]


def extract_noted(text: str) -> tuple[Extracted, tuple[Change, ...]]:
    """`extract(text)`, and a Change for every URL repaired or dropped as malformed."""
    lowered = _lower(text)
    return (_NOTHING, ()) if _plain_text(text, lowered) else _extract(text, lowered)


def _extract(text: str, lowered: str) -> tuple[Extracted, tuple[Change, ...]]:
    """extract_noted of any text, `lowered` its _lower."""
    changes: list[Change] = []
    if _needs_repair(lowered):
        text = _repair(text, changes)
        lowered = _lower(text)
    has_url = "http" in lowered or "www." in lowered or _has_bare_host(lowered)
    has_arxiv = "arxiv" in lowered
    if not (has_url or has_arxiv or "/" in text and _OLD_NUMBER_RE.search(text)):
        return _NOTHING, tuple(changes)
    text, lowered = _unescape(text, lowered)
    repositories: dict[str, None] = {}
    links: dict[str, Link] = {}
    if has_url:
        for target in _targets(text, lowered):
            if target[0] == "repository":
                repositories.setdefault(target[1])
            elif target[0] == _MALFORMED_DOI:
                changes.append(Change("rejected", "malformed DOI link", target[1], ""))
            elif target[1] not in links:
                links[target[1]] = Link(target[1], target[0])
    return (tuple(repositories), tuple(links.values()), _mentions(lowered, has_arxiv)), tuple(changes)


def _plain_text(text: str, lowered: str) -> bool:
    """True for a text that no URL, repair or mention can be in (most texts), in fewer scans
    than the checks below: without a bare host's ending (".com" ...) there is no "github.co/",
    and without "ttp" no "http"."""
    return not (_BARE_HINT_RE.search(lowered) or "ttp" in lowered or "www." in lowered or "arxiv" in lowered
                or "/" in text and _OLD_NUMBER_RE.search(text))


def _needs_repair(lowered: str) -> bool:
    """True if a repair in _REPAIRS or a line-wrap rejoin may apply (most texts need none)."""
    # Two substring tests rule out almost every text; each costs less than one regex scan.
    if "github.co" in lowered and ("github.co/" in lowered or "_ " in lowered and "github.com/" in lowered):
        return True
    start = lowered.find("ttp")  # where the first scheme candidate can be
    if start < 0:
        return False
    for m in _SCHEME_CANDIDATE.finditer(lowered, start):
        start, end = m.start(), m.end()
        if start == 0 or lowered[start - 1] != "h" or start >= 2 and lowered[start - 2].isalnum():
            return True  # "ttps://", or glued to what comes before
        if not lowered.startswith("://", end - 1) or lowered.startswith("http", end + 2):
            return True  # "https;//", "https:/", "https//", "https://https://"
        if lowered.startswith(("doi.org/http", "dx.doi.org/http"), end + 2):
            return True
    return False


def _repair(text: str, changes: list[Change]) -> str:
    for rule, pattern, replacement in _REPAIRS:
        for m in list(pattern.finditer(text)):
            snippet = _around(text, m.start())
            changes.append(Change("cleaned", rule, snippet, pattern.sub(replacement, snippet)))
        text = pattern.sub(replacement, text)
    for m in list(_WRAP_RE.finditer(text)):
        if m[2].casefold() not in _WRAP_STOP_WORDS:
            changes.append(Change("cleaned", "name cut at a line wrap", m[0], f"{m[1]}{m[2]}"))
    return _WRAP_RE.sub(lambda m: m[0] if m[2].casefold() in _WRAP_STOP_WORDS else m[1] + m[2], text)


def _around(text: str, start: int) -> str:
    """The run of non-spaces of `text` around `start`: what a Change quotes."""
    end = text.find(" ", start)
    return text[text.rfind(" ", 0, start) + 1:end if end >= 0 else len(text)]


def repository_parts(url: str) -> tuple[str, str, str]:
    """(host, owner, name) of a canonical repository URL; owner and name are "" where the link
    does not say them (git.io short links; anonymous.4open.science has a name only)."""
    host, path = hostname_and_path(url)
    path = path.strip("/")
    if host in _SHORT_LINK_HOSTS:
        return host, "", ""
    if host == _ANONYMOUS_HOST:
        return host, "", path.removeprefix("r/")
    owner, _, name = path.partition("/")
    return host, owner, name


def hostname_and_path(url: str) -> tuple[str, str]:
    """urlsplit(url)'s hostname ("" for none) and path, read off a regex for most URLs."""
    plain = _PLAIN_URL_RE.fullmatch(url)
    if plain is not None:
        return plain[2], plain[3] or ""
    parts = urlsplit(url)
    return parts.hostname or "", parts.path


def canonical_repository(url: str) -> str | None:
    """Return the canonical repository URL for `url` (scheme optional), or None if not a repo.

    >>> canonical_repository("github.com/NVlabs/StyleGAN2.git/tree/master")
    'https://github.com/nvlabs/stylegan2'
    """
    candidate = _trim(url.strip())
    if not _URL_START_RE.match(candidate):
        candidate = "https://" + candidate
    target = _classify(candidate)
    return target[1] if target is not None and target[0] == "repository" else None


def _lower(text: str) -> str:
    """Lowercase `text` keeping every character at its offset, so matches map back to `text`."""
    lowered = text.lower()
    # A few characters lowercase to two ("İ"); fold only ASCII then.
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def _has_bare_host(lowered: str) -> bool:
    """Cheap test before looking for bare host names."""
    if _BARE_HINT_RE.search(lowered) is None:
        return False
    for host in _BARE_HOSTS:
        if host in lowered:
            return True
    return False


def _unescape(text: str, lowered: str) -> tuple[str, str]:
    """Undo the LaTeX escapes that authors leave inside URLs ("task\\_driven")."""
    if "\\" not in text:
        return text, lowered
    changed = _LATEX_ESCAPE_RE.sub(lambda m: m.group(1) or "_", text)
    return (text, lowered) if changed == text else (changed, _lower(changed))


def _targets(text: str, lowered: str) -> Iterator[_Target]:
    """Yield (kind, url) for each URL in `text`; kind "repository" marks repositories."""
    for _, candidate in sorted(_candidates(text, lowered)):
        target = _classify(_trim(candidate))
        if target is not None:
            yield target


def _candidates(text: str, lowered: str) -> list[tuple[int, str]]:
    """(offset, URL with scheme) for each URL-like span: with scheme, www., bare host."""
    spans: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for match in _SCHEME_RE.finditer(lowered):
        end = _url_end(lowered, match.end())
        spans.append((match.start(), end))
        found.append((match.start(), _SPACE_RE.sub("", text[match.start():end])))
    if "www" in lowered:
        for match in _WWW_RE.finditer(lowered):
            if _starts_url(lowered, match.start(), spans):
                end = _url_end(lowered, match.end())
                spans.append((match.start(), end))
                url = _SPACE_RE.sub("", text[match.start():end])
                found.append((match.start(), "http://" + url))
    outside = "".join(lowered[a:b] for a, b in _gaps(spans, len(lowered))) if spans else lowered
    if _has_bare_host(outside):
        for match in _BARE_RE.finditer(lowered):
            subdomains = _SUBDOMAINS_RE.search(lowered, max(0, match.start() - 128), match.start())
            start = subdomains.start() if subdomains else match.start()
            if _starts_url(lowered, start, spans):
                end = _url_end(lowered, match.end())
                found.append((start, "https://" + _SPACE_RE.sub("", text[start:end])))
    return found


def _url_end(lowered: str, end: int) -> int:
    """Where a URL found to end at `end` really ends, across gaps left by line wrapping."""
    while True:
        if lowered.endswith("-", 0, end):
            gap = _HYPHEN_GAP_RE.match(lowered, end)
        elif lowered.endswith("github.com/", 0, end):
            gap = _SLASH_GAP_RE.match(lowered, end)
        else:
            return end
        if gap is None:
            return end
        end = gap.end()


def _starts_url(lowered: str, start: int, spans: list[tuple[int, int]]) -> bool:
    """True if a scheme-less URL can start at `start`: not inside a word, e-mail or URL."""
    if start and (lowered[start - 1].isalnum() or lowered[start - 1] in _NOT_BEFORE_URL):
        return False
    return not any(a <= start < b for a, b in spans)


def _gaps(spans: list[tuple[int, int]], length: int) -> Iterator[tuple[int, int]]:
    """The stretches of [0, length) that no span covers."""
    position = 0
    for a, b in sorted(spans):
        if a > position:
            yield position, a
        position = max(position, b)
    yield position, length


def _trim(url: str) -> str:
    """Cut what running text appended to a URL: unopened brackets and closing punctuation."""
    if ")" in url:
        depth = 0
        for i, char in enumerate(url):
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    url = url[:i]
                    break
                depth -= 1
    return url.rstrip(_TRAILING)


def _classify(url: str) -> _Target | None:
    """Return ("repository", canonical URL) or (link kind, normalised IRI); None to drop."""
    split = _split(url)
    if split is None:
        return None
    parts, netloc = split
    domain = netloc.partition(":")[0].removeprefix("www.")
    if domain == "arxiv.org" or domain.endswith(".arxiv.org"):
        return None  # an arXiv URL is a mention, found by _mentions
    is_forge, forge = _forge_target(domain, [s for s in parts.path.split("/") if s])
    if is_forge:
        return forge and _checked(*forge)
    kind = _link_kind(domain, parts.path)
    if kind == "doi":
        return _doi_target(url, parts.path)
    iri = urlunsplit((parts.scheme, netloc, _encode(parts.path) or "/",
                      _encode(parts.query), _encode(parts.fragment)))
    return _checked(kind, iri)


def _doi_target(url: str, path: str) -> _Target | None:
    if not path.startswith("/10."):
        return _MALFORMED_DOI, url
    if path.lower().startswith("/10.48550/arxiv."):
        return None  # an arXiv DOI is a mention, found by _mentions
    return _checked("doi", "https://doi.org" + _encode(path))


def _split(url: str) -> tuple[SplitResult, str] | None:
    """urlsplit `url` and return it with its normalised netloc: lowercase host, port, no user.

    None when the scheme is not http(s), or the host is implausible, or the port is bad.
    """
    plain = _PLAIN_URL_RE.fullmatch(url)
    if plain is None:
        return _urlsplit(url)
    host = plain[2]  # what urlsplit makes of such a URL, read off the match
    return (SplitResult(plain[1], host, plain[3] or "", "", ""), host) if _HOST_RE.fullmatch(host) else None


def _urlsplit(url: str) -> tuple[SplitResult, str] | None:
    """_split of any URL."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or not _HOST_RE.fullmatch(host):
        return None
    return parts, host if port is None else f"{host}:{port}"


def _forge_target(domain: str, segments: list[str]) -> tuple[bool, _Target | None]:
    """Classify a URL on a code forge: (is it on a forge, its target or None to drop it).

    A URL that is not on a forge is an ordinary link, for `_link_kind` to classify.
    """
    if domain in _SIMPLE_FORGES:
        return True, _owner_repo(domain, segments)
    if domain == "raw.githubusercontent.com":
        return True, _owner_repo("github.com", segments[:2])
    if domain == "gitlab.com" or domain.startswith("gitlab.") or "-" in segments[2:]:
        return True, _gitlab(domain, segments)
    if domain in _SHORT_LINK_HOSTS:
        code = segments[0] if segments and _NAME_RE.fullmatch(segments[0]) else None
        return True, ("repository", f"https://{domain}/{code}") if code else None
    if domain == _ANONYMOUS_HOST:
        name = _name(segments[1]) if segments[:1] == ["r"] and len(segments) > 1 else None
        return True, ("repository", f"https://{domain}/r/{name}") if name else None
    if domain.partition(".")[0] in _SELF_HOSTED and domain.count(".") >= 2:
        return True, _owner_repo(domain, segments)
    if domain == "sourceforge.net" and segments[:1] in (["projects"], ["p"]) and segments[1:]:
        name = _name(segments[1])
        return True, ("repository", f"https://sourceforge.net/projects/{name}") if name else None
    return False, None


def _owner_repo(domain: str, segments: list[str]) -> _Target | None:
    """Repository or profile for a forge whose repositories are exactly owner/name."""
    if not segments:
        return None
    first = segments[0].lower()
    if first in _PROFILE_PREFIXES:
        segments = segments[1:2]
    elif domain == "github.com" and first in _GITHUB_RESERVED:
        return None
    owner = _name(segments[0]) if segments else None
    if owner is None or _is_placeholder(owner, _OWNER_PLACEHOLDERS):
        return None
    repo = _name(segments[1]) if len(segments) > 1 else None
    if repo is None:
        return "profile", f"https://{domain}/{owner}"
    if _is_placeholder(repo, _REPO_PLACEHOLDERS):
        return None
    return "repository", f"https://{domain}/{owner}/{repo}"


def _gitlab(domain: str, segments: list[str]) -> _Target | None:
    """Repository or profile on GitLab, where a project sits under nested groups."""
    if segments and segments[0].lower() in _PROFILE_PREFIXES:
        segments = segments[1:2]
    elif segments and segments[0].lower() in _GITLAB_RESERVED:
        return None
    names: list[str] = []
    for segment in segments:
        name = _name(segment)
        if name is None or name in _GITLAB_MARKERS:
            break
        names.append(name)
    if not names or _is_placeholder(names[0], _OWNER_PLACEHOLDERS):
        return None
    if len(names) == 1:
        return "profile", f"https://{domain}/{names[0]}"
    if _is_placeholder(names[-1], _REPO_PLACEHOLDERS):
        return None
    return "repository", f"https://{domain}/{'/'.join(names)}"


def _name(segment: str) -> str | None:
    """The owner or repository name at the start of a path segment, lowercased, no `.git`."""
    match = _NAME_RE.match(segment)
    if match is None:
        return None
    name = match.group().lower().removesuffix(".git").rstrip(".")
    return name if name.strip(".") else None


def _is_placeholder(name: str, placeholders: frozenset[str]) -> bool:
    """True for the stand-in names that blinded submissions put in place of real ones."""
    return name in placeholders or _ONLY_XS_RE.fullmatch(name) is not None


def _link_kind(domain: str, path: str) -> str:
    """The kind of an ordinary link, from its host (or a parent domain) and path."""
    if domain == "paperswithcode.com" and path.startswith(("/dataset/", "/datasets")):
        return "dataset"
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        kind = _KIND_BY_DOMAIN.get(".".join(labels[i:]))
        if kind is not None:
            return kind
    return "project"


def _encode(component: str) -> str:
    """Percent-encode what an IRI path, query or fragment cannot hold."""
    if component.isascii():  # the common case, with a much smaller character class
        return _NON_IRI_ASCII_RE.sub(lambda m: quote(m.group(), safe=""), component)
    return _NON_IRI_RE.sub(lambda m: quote(m.group(), safe="", errors="surrogatepass"), component)


def _checked(kind: str, iri: str) -> _Target | None:
    """(kind, iri) if pyoxigraph accepts `iri` as an IRI, else None."""
    try:
        pyoxigraph.NamedNode(iri)
    except ValueError:
        return None
    return kind, iri


def _mentions(lowered: str, has_arxiv: bool) -> tuple[str, ...]:
    """arXiv IDs (no version) cited in the lowercased text, in first-seen order."""
    found: list[tuple[int, str]] = []
    if has_arxiv:
        for match in _MARKED_ID_RE.finditer(lowered):
            new = match["new"]
            identifier = _new_id(new) if new else _old_id(match["arch"], match["old"])
            if identifier:
                found.append((match.start(), identifier))
    if "/" in lowered:
        for match in _OLD_NUMBER_RE.finditer(lowered):
            archive = _ARCHIVE_BEFORE_RE.search(lowered, max(0, match.start() - 40), match.start())
            identifier = archive and _old_id(archive[1], match[1])
            if archive and identifier:
                found.append((archive.start(), identifier))
    if not found:  # most texts
        return ()
    found.sort()
    return tuple(dict.fromkeys(identifier for _, identifier in found))


def _new_id(identifier: str) -> str | None:
    """`identifier` ("YYMM.NNNNN") if such an ID can exist.

    New-style IDs began in April 2007 with four digits after the dot, five from January 2015.
    """
    year, month, number = int(identifier[:2]), int(identifier[2:4]), identifier[5:]
    if (year, month) < (7, 4) or not 1 <= month <= 12:
        return None
    if (len(number) == 5) != ((year, month) >= (15, 1)):
        return None
    return identifier


def _old_id(archive: str, number: str) -> str | None:
    """The ID "archive/YYMMNNN" if it can exist: old-style IDs ran from 1991 to March 2007."""
    year, month = int(number[:2]), int(number[2:4])
    if not (year >= 91 or year <= 7) or not 1 <= month <= 12:
        return None
    return f"{archive}/{number}"
