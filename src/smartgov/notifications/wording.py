"""What a message says: the wording registered in code, admins' overrides, and one sandboxed renderer.

Modules register a :class:`MessageTemplate` per message kind (``str.format`` placeholders, the
defaults). Admins may override its six texts (e-mail subject and body, SMS, in Persian and English)
in the browser; an override is Jinja, rendered in a sandbox that refuses attribute and item access
and every tag that reaches outside the text, and it may use only the variables the message kind
provides (those its defaults name, and its ``examples``). The defaults are rendered by the same
sandbox, converted once from ``{name}`` to ``{{ name }}``: one path whatever the source.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from smartgov.errors import DomainError, ValidationFailed
from smartgov.i18n import N_, localize_value
from smartgov.notifications.models import TEXT_FIELDS

#: Longest text each field may hold (an SMS of 4 parts in Persian is 268 characters; room for more).
LIMITS: dict[str, int] = {"email_subject_fa": 300, "email_subject_en": 300, "email_body_fa": 10_000,
                          "email_body_en": 10_000, "sms_fa": 1000, "sms_en": 1000}
#: What a secret shows as wherever it is kept (the in-app copy, the preview): never the secret.
MASKED = "••••••"

# Nodes a message has no use for: they reach outside the text (other templates) or into objects.
_REFUSED = (nodes.Getattr, nodes.Getitem, nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport,
            nodes.Macro, nodes.CallBlock, nodes.Call, nodes.Assign, nodes.AssignBlock)


@dataclass(frozen=True)
class MessageTemplate:
    """One message kind, written in both languages (``str.format`` placeholders): the defaults.

    ``sms_*``: what an SMS says (default: the body); ``title_*``: how people and admins name the
    kind; ``mandatory``: a person cannot turn it off (security codes, password resets);
    ``examples``: values for the preview (and further variables an override may use).
    """

    key: str
    subject_fa: str
    subject_en: str
    body_fa: str
    body_en: str
    sms_fa: str | None = None
    sms_en: str | None = None
    title_fa: str | None = None
    title_en: str | None = None
    mandatory: bool = False
    examples: Mapping[str, Any] = field(default_factory=dict)

    def defaults(self) -> dict[str, str]:
        """The six texts as Jinja (what the editor starts from and what renders without an override)."""
        return {
            "email_subject_fa": to_jinja(self.subject_fa), "email_subject_en": to_jinja(self.subject_en),
            "email_body_fa": to_jinja(self.body_fa), "email_body_en": to_jinja(self.body_en),
            "sms_fa": to_jinja(self.sms_fa if self.sms_fa is not None else self.body_fa),
            "sms_en": to_jinja(self.sms_en if self.sms_en is not None else self.body_en),
        }

    @property
    def variables(self) -> frozenset[str]:
        """The names this kind of message provides: those its defaults use, and its examples."""
        return placeholders(self.subject_fa, self.subject_en, self.body_fa, self.body_en, self.sms_fa or "",
                            self.sms_en or "") | frozenset(self.examples)

    def title(self, lang: str) -> str:
        """The kind's name for people: its title, or its subject with the placeholders elided."""
        chosen = self.title_fa if lang == "fa" else self.title_en
        if chosen:
            return chosen
        subject = self.subject_fa if lang == "fa" else self.subject_en
        return "".join(literal + ("…" if name is not None else "")
                       for literal, name, _spec, _conv in string.Formatter().parse(subject)).strip()

    def render(self, lang: str, context: dict[str, Any]) -> tuple[str, str]:
        """(subject, e-mail body) of the defaults in ``lang``."""
        texts = self.defaults()
        suffix = "fa" if lang == "fa" else "en"
        return (render_text(texts[f"email_subject_{suffix}"], suffix, context),
                render_text(texts[f"email_body_{suffix}"], suffix, context))


TEMPLATES: dict[str, MessageTemplate] = {}


def register_template(template: MessageTemplate) -> None:
    """Modules add their message kinds at import time."""
    TEMPLATES[template.key] = template


def placeholders(*texts: str) -> frozenset[str]:
    """The ``str.format`` field names used in ``texts``."""
    return frozenset(name for text in texts for _lit, name, _spec, _conv in string.Formatter().parse(text)
                     if name)


def to_jinja(text: str) -> str:
    """``str.format`` text as the same Jinja text (``{x}`` → ``{{ x }}``; literal braces kept raw)."""
    out = []
    for literal, name, _spec, _conv in string.Formatter().parse(text):
        if any(mark in literal for mark in ("{{", "{%", "{#")):
            literal = "{% raw %}" + literal + "{% endraw %}"
        out.append(literal)
        if name is not None:
            out.append("{{ " + name + " }}")
    return "".join(out)


_ENV = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=512)
def _compiled(source: str) -> Any:
    return _ENV.from_string(source)


def render_text(source: str, lang: str, context: Mapping[str, Any]) -> str:
    """``source`` rendered with ``context`` shown in ``lang`` (numbers in its digits)."""
    return str(_compiled(source).render({k: localize_value(v, lang) for k, v in context.items()}))


def check(template: MessageTemplate, texts: Mapping[str, str]) -> dict[str, str]:
    """The six texts, cleaned, or :class:`ValidationFailed` naming each field that is refused.

    Refused: an empty or too long text, Jinja that does not parse, a tag or expression that reaches
    outside the text (attributes, items, calls, includes, macros, assignments), a variable the
    message kind does not provide.
    """
    clean: dict[str, str] = {}
    problems: list[DomainError] = []
    allowed = template.variables
    for name in TEXT_FIELDS:
        text = (texts.get(name) or "").replace("\r\n", "\n").strip()
        clean[name] = text
        if not text:
            problems.append(DomainError("required", N_("This text cannot be empty."), field=name))
            continue
        if len(text) > LIMITS[name]:
            problems.append(DomainError("too_long", N_("At most {limit} characters."), field=name,
                                        limit=LIMITS[name]))
            continue
        try:
            tree = _ENV.parse(text)
        except TemplateSyntaxError as exc:
            problems.append(DomainError("template_syntax", N_("The template does not read on line {line}: {reason}"),
                                        field=name, line=exc.lineno, reason=exc.message or ""))
            continue
        if any(True for _ in tree.find_all(_REFUSED)):
            problems.append(DomainError(
                "template_expression", N_("Only variables and filters may be used: no attributes, calls or tags "
                                          "that reach outside the text."), field=name))
            continue
        unknown = sorted(_used_names(tree) - allowed)
        if unknown:
            problems.append(DomainError(
                "unknown_variable", N_("This message does not provide {names}. It provides: {allowed}."),
                field=name, names=", ".join(unknown), allowed=", ".join(sorted(allowed)) or "—"))
    if problems:
        raise ValidationFailed(problems)
    return clean


def _used_names(tree: nodes.Template) -> set[str]:
    """Variables read (``for`` targets and ``set`` names are the template's own)."""
    own = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"} - own


def example_context(template: MessageTemplate) -> dict[str, Any]:
    """Values for a preview: the kind's examples, and a marked placeholder for any other variable."""
    return {name: template.examples.get(name, f"‹{name}›") for name in template.variables}
