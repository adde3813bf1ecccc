"""What every blade family of the directory's admin shares: saves through the services, refusals on the form.

A service refusal never becomes a server error: the save is rolled back and the form is
shown again with the service's own sentence (see ServiceModelAdmin and save_through_service).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, Form, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from admincenter.blades import BladeAdmin

REFUSAL_ATTRIBUTE = "_directory_admin_refusal"


@dataclass
class Refusal:
    error: ValidationError
    field: str | None = None


def show_refusal(form: Form, refusal: Refusal) -> None:
    """Put a service's refusal on the form: on its field when the form has it, else above the form."""
    error = refusal.error
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(refusal.field if refusal.field in form.fields else None, error)


@dataclass
class Rows:
    """An inline formset split into what the services must do."""

    added: list[ModelForm] = field(default_factory=list)
    changed: list[ModelForm] = field(default_factory=list)
    deleted: list[ModelForm] = field(default_factory=list)

    @classmethod
    def of(cls, formset: BaseInlineFormSet) -> "Rows":
        deleted = {id(form) for form in formset.deleted_forms}
        rows = cls()
        for form in formset.initial_forms:
            if id(form) in deleted:
                rows.deleted.append(form)
            elif form.has_changed():
                rows.changed.append(form)
        rows.added = [form for form in formset.extra_forms if id(form) not in deleted and form.has_changed()]
        return rows

    def stored(self, forms: list[ModelForm]) -> list[Model]:
        """The rows as the database has them (the forms' instances already carry the new values)."""
        return [type(form.instance).objects.get(pk=form.instance.pk) for form in forms]


def save_through_service(
    form: Form, save: Callable[[dict], object], *, field_of: Callable[[ValidationError], str | None] | None = None
) -> bool:
    """Validate the form, then save its data with one service call; a refusal goes on the form, nothing saved.

    `field_of` names the field a refusal concerns (else it shows above the form).
    """
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        show_refusal(form, Refusal(error, field_of(error) if field_of else None))
        return False
    return True


def refusal_of(action: Callable[[], object]) -> list[str]:
    """Run one service call (or one transaction of them); the refusal's sentences, empty when it succeeded."""
    try:
        action()
    except ValidationError as error:
        return error.messages
    return []


def record_formset_changes(formset: BaseInlineFormSet, *, new: list[Model], deleted: list[Model]) -> None:
    # The admin's change message reads what formset.save() would have set.
    formset.new_objects = new
    formset.changed_objects = []
    formset.deleted_objects = deleted


def adopt(obj: Model, saved: Model) -> None:
    """Make the admin's in-memory object the row a service saved, primary key included."""
    for model_field in saved._meta.concrete_fields:
        setattr(obj, model_field.attname, getattr(saved, model_field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


# Accessible names -------------------------------------------------------------
# select2 (the admin's autocomplete) names its box after the chosen option; with none chosen
# Django leaves the placeholder empty, so the box is a nameless combobox to a screen reader,
# and a multiple one's search field has no label (axe: aria-input-field-name, label). A tabular
# inline's cells have only a column header, no <label> (axe: select-name). These give them
# names without touching Django's templates.


class _NamedAutocomplete:
    def __init__(self, *args: object, placeholder: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs: dict, extra_attrs: dict | None = None) -> dict:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = self.placeholder
        return attrs


class NamedAutocompleteSelect(_NamedAutocomplete, AutocompleteSelect):
    pass


class NamedAutocompleteSelectMultiple(_NamedAutocomplete, AutocompleteSelectMultiple):
    pass


class NamedAutocompleteMixin:
    """Autocompletes show "Search users" (or groups, accounts…) until something is chosen."""

    def _search_placeholder(self, db_field: object) -> str:
        return f"Search {db_field.related_model._meta.verbose_name_plural}"

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: object):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using"), placeholder=self._search_placeholder(db_field)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: object):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = NamedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using"), placeholder=self._search_placeholder(db_field)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class NamedTabularInline(NamedAutocompleteMixin, admin.TabularInline):
    """A tabular inline whose fields are named after their column, as a <label> would."""

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs: object):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.widget.attrs.setdefault("aria-label", str(formfield.label))
        return formfield


class ServiceModelAdmin(NamedAutocompleteMixin, BladeAdmin):
    """A model admin whose writes go through directory services.

    A ValidationError (PolicyError included) raised while saving rolls the whole save back
    (the admin wraps it in a transaction); the same POST is then validated again with the
    error added to the form, so the person sees the message and everything they typed.
    """

    actions = ["delete_selected"]

    def refusal_field(self, error: ValidationError) -> str | None:
        return None

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if hasattr(request, REFUSAL_ATTRIBUTE):
                raise
            setattr(request, REFUSAL_ATTRIBUTE, Refusal(error, self.refusal_field(error)))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: object):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form

        class RefusedForm(form):
            def clean(self) -> dict[str, object]:
                cleaned_data = super().clean()
                show_refusal(self, refusal)
                return cleaned_data

        RefusedForm.__name__ = form.__name__
        return RefusedForm

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list, change: bool) -> None:
        # No form.save_m2m(): many-to-many values go through the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        raise NotImplementedError(f"{type(self).__name__} has an inline but no service to save it.")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None


class TenantObjectAdmin(ServiceModelAdmin):
    """Users and groups: the tenant is fixed once created."""

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "tenant") if obj else self.readonly_fields
