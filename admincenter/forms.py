"""Forms on blades: fields grouped under the portal's section headings."""

from collections.abc import Sequence

from django import forms


class SectionedForm:
    """Mix into a form to show its fields under headings: sections = (("Heading", ("field", ...)), ...)."""

    sections: Sequence[tuple[str | None, Sequence[str]]] = ()

    fields: dict[str, forms.Field]

    def blade_sections(self) -> list[tuple[str | None, list[forms.BoundField]]]:
        if not self.sections:
            return [(None, list(self))]
        return [(heading, [self[name] for name in names if name in self.fields]) for heading, names in self.sections]
