"""Every relative link and picture in the README, the model card and docs/ resolves.

A link resolves when its file exists inside the repository and, where it names an anchor in a
markdown file, that file has a heading with that anchor (GitHub's rule: lower case, punctuation
dropped, spaces to hyphens, "-1", "-2" for repeats). Links with a scheme (https:, mailto:) and
links inside code are not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "weights" / "README.md", *(ROOT / "docs").rglob("*.md")]
)
# [text](target) and ![alt](target); the target ends at whitespace or the closing bracket
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines of a markdown text outside fenced code blocks, with inline code spans blanked."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        lines.append("" if fenced else re.sub(r"`+[^`]*`+", "``", line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, repeats numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with each relative link of ``path``: 'line N: target (reason)'."""
    problems = []
    for number, line in enumerate(prose_lines(path.read_text(encoding="utf-8")), start=1):
        for target in LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                continue  # https:, mailto: and the like
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.is_relative_to(root.resolve()):
                problems.append(f"line {number}: {target} (outside the repository)")
            elif not linked.exists():
                problems.append(f"line {number}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"line {number}: {target} (no heading #{anchor})")
    return problems


def test_the_documents_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in DOCUMENTS}
    assert {"README.md", "weights/README.md", "docs/quality.md", "docs/architecture.md"} <= names


# Known breaks, each failing strictly so that its entry goes once it is mended.
KNOWN_BROKEN: dict[str, str] = {}


def _documents_to_check() -> list:
    params = []
    for path in DOCUMENTS:
        name = path.relative_to(ROOT).as_posix()
        reason = KNOWN_BROKEN.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(path, id=name, marks=marks))
    return params


@pytest.mark.parametrize("path", _documents_to_check())
def test_every_relative_link_and_picture_resolves(path: Path):
    assert broken_links(path) == []


def test_a_broken_link_a_missing_picture_and_a_wrong_anchor_are_caught(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# A page\n\n## Its `second` part: twice\n")
    page = tmp_path / "README.md"
    page.write_text(
        "# Top\n\n"
        "[fine](docs/there.md) [fine too](docs/there.md#its-second-part-twice) [here](#top)\n"
        "[gone](docs/gone.md) ![missing](docs/missing.png)\n"
        "[bad anchor](docs/there.md#nowhere) [bad local](#bottom) [out](../elsewhere.md)\n"
        "```\n[in code](nothing.md)\n```\n`[inline](nothing.md)` [web](https://example.org/x)\n"
    )
    assert broken_links(page, root=tmp_path) == [
        "line 4: docs/gone.md (no such file)",
        "line 4: docs/missing.png (no such file)",
        "line 5: docs/there.md#nowhere (no heading #nowhere)",
        "line 5: #bottom (no heading #bottom)",
        "line 5: ../elsewhere.md (outside the repository)",
    ]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Quality, measured", "quality-measured"),
        ("The window does not start: \"could not load the Qt platform plugin xcb\"",
         "the-window-does-not-start-could-not-load-the-qt-platform-plugin-xcb"),
        ("Measured quality of the 70,800-step weights", "measured-quality-of-the-70800-step-weights"),
        ("The `paper` configuration", "the-paper-configuration"),
        ("What the band target costs, at best", "what-the-band-target-costs-at-best"),
    ],
)  # fmt: skip
def test_anchors_follow_githubs_rule(heading: str, anchor: str):
    assert slug(heading) == anchor
