"""Reply texts as data: ``data/templates.yaml``, validated when first loaded.

Operators change wording in the YAML file, not in code. A file that breaks a rule (a
missing language, an unknown placeholder, a sensitive word, a character that forces UCS-2,
more than two SMS segments) is refused at start-up with a message naming the template.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from hotline.sms.segments import measure, non_gsm7

Language = Literal["fr", "en", "pcm"]
LANGUAGES: Final[tuple[Language, ...]] = ("fr", "en", "pcm")
MAX_SEGMENTS: Final = 2
# The longest realistic value of each placeholder, used to check lengths.
SAMPLE_VALUES: Final[Mapping[str, str]] = {"reference": "98765432"}


class TemplateError(ValueError):
    """The templates file breaks a rule; the message names the template and language."""


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    values: tuple[str, ...] = ()
    sensitive: bool = False
    fr: str
    en: str
    pcm: str

    def text(self, language: Language) -> str:
        text: str = getattr(self, language)
        return text


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitive_words: tuple[str, ...]
    templates: dict[str, Template]

    @model_validator(mode="after")
    def _check(self) -> TemplateFile:
        problems = [p for name, t in self.templates.items() for p in _problems(name, t, self.sensitive_words)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _problems(name: str, template: Template, sensitive_words: tuple[str, ...]) -> list[str]:
    problems = []
    for unknown in set(template.values) - set(SAMPLE_VALUES):
        problems.append(f"{name}: no sample value for placeholder {{{unknown}}}")
    for language in LANGUAGES:
        text = template.text(language)
        where = f"{name}.{language}"
        if placeholders(text) != set(template.values):
            problems.append(
                f"{where}: placeholders {sorted(placeholders(text))} != values {list(template.values)}"
            )
            continue
        sample = text.format(**{k: SAMPLE_VALUES.get(k, "") for k in template.values})
        if forcing := non_gsm7(sample):
            problems.append(f"{where}: characters {forcing} force UCS-2; use a GSM-7 spelling")
        if (size := measure(sample)).segments > MAX_SEGMENTS:
            problems.append(f"{where}: {size.segments} SMS segments ({size.units} {size.encoding} units)")
        lowered = sample.lower()
        if not template.sensitive and (found := [w for w in sensitive_words if w in lowered]):
            problems.append(f"{where}: sensitive words {found} (set `sensitive: true` to allow)")
    return problems


class Templates:
    def __init__(self, data: TemplateFile) -> None:
        self._templates = data.templates

    @classmethod
    def from_file(cls, path: Path) -> Templates:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls(TemplateFile.model_validate(raw))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise TemplateError(f"{path.name}: {exc}") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._templates)

    def get(self, name: str) -> Template:
        return self._templates[name]

    def render(self, name: str, language: Language, **values: str) -> str:
        return self._templates[name].text(language).format(**values)


def default_templates_path() -> Path:
    return Path(str(resources.files("hotline.sms") / "data" / "templates.yaml"))


@lru_cache(maxsize=1)
def default_templates() -> Templates:
    """The packaged templates, loaded and checked once per process."""
    return Templates.from_file(default_templates_path())
