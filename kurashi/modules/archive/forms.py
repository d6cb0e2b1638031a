"""Staff forms: cataloguing with validation, the publish/embargo workflow, bulk edit."""

import re
from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kurashi.core.models import Municipality
from kurashi.modules.archive.eras import year_from_text
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.rights import Rights

_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー・\s　]*$")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class ItemForm(forms.Form):
    collection = forms.ModelChoiceField(queryset=Collection.objects.none(), label=_("Collection"))
    title = forms.CharField(label=pgettext_lazy("archive", "Title"), max_length=300)
    title_reading = forms.CharField(
        label=_("Title reading (kana)"),
        max_length=300,
        required=False,
        help_text=_("In hiragana or katakana, e.g. めんぶりゅう for 面浮立."),
    )
    title_en = forms.CharField(label=_("English title"), max_length=300, required=False)
    alternative_title = forms.CharField(
        label=_("Alternative title"), max_length=300, required=False
    )
    creators = forms.CharField(
        label=_("Creators (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    creators_reading = forms.CharField(
        label=_("Creator readings (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    description = forms.CharField(
        label=pgettext_lazy("archive", "Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    date_text = forms.CharField(
        label=_("Date as written"),
        max_length=100,
        required=False,
        help_text=_("e.g. 明治十年, 天保三年 or 1931年; the year is derived from it."),
    )
    municipality = forms.ModelChoiceField(
        queryset=Municipality.objects.order_by("code"), label=_("Municipality"), required=False
    )
    place_name = forms.CharField(label=_("Place"), max_length=200, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    subjects = forms.CharField(
        label=_("Subjects (one per line)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    type = forms.ChoiceField(label=_("Type"), choices=Item.Type.choices)
    language = forms.CharField(label=_("Language"), max_length=12, initial="ja")
    rights = forms.ChoiceField(label=_("Rights"), choices=Rights.choices)
    rights_holder_ja = forms.CharField(
        label=_("Rights holder (Japanese)"), max_length=200, required=False
    )
    rights_holder_en = forms.CharField(
        label=_("Rights holder (English)"), max_length=200, required=False
    )
    metadata_cc0 = forms.BooleanField(
        label=_("Metadata released under CC0"), required=False, initial=True
    )
    source_url = forms.URLField(label=_("Original page"), max_length=500, required=False)
    event_name = forms.CharField(
        label=pgettext_lazy("archive", "Event"), max_length=200, required=False
    )
    performed_on = forms.DateField(
        label=_("Performed on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    preserving_group = forms.CharField(label=_("Preserving group"), max_length=200, required=False)
    image = forms.FileField(
        label=_("Add an image (JPEG, PNG, TIFF or WebP)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/tiff,image/webp"}
        ),
    )

    def __init__(self, *args: Any, collections: QuerySet[Collection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collection"].queryset = collections  # type: ignore[attr-defined]

    def clean_title_reading(self) -> str:
        value: str = self.cleaned_data["title_reading"].strip()
        if not _KANA.match(value):
            raise forms.ValidationError(
                _("The reading must be written in hiragana or katakana."), code="not_kana"
            )
        return value

    def clean_date_text(self) -> str:
        value: str = self.cleaned_data["date_text"].strip()
        if value and year_from_text(value) is None and not re.search(r"[時代世紀頃]", value):
            raise forms.ValidationError(
                _("No year could be read from this date. Write e.g. 明治十年 or 1931年."),
                code="no_year",
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error(
                None,
                forms.ValidationError(
                    _("Give both latitude and longitude, or neither."), code="half_point"
                ),
            )
        if data.get("type") == Item.Type.PERFORMANCE and not data.get("preserving_group"):
            self.add_error(
                "preserving_group",
                forms.ValidationError(
                    _("A performing art needs its preserving group (保存会)."), code="no_group"
                ),
            )
        return data

    def item_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "title_reading": data["title_reading"],
            "title_en": data["title_en"],
            "alternative_title": data["alternative_title"],
            "creators": _lines(data["creators"]),
            "creators_reading": _lines(data["creators_reading"]),
            "description": data["description"],
            "description_en": data["description_en"],
            "date_text": data["date_text"],
            "municipality": data["municipality"],
            "place_name": data["place_name"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "subjects": _lines(data["subjects"]),
            "type": data["type"],
            "language": data["language"],
            "rights": data["rights"],
            "rights_holder_ja": data["rights_holder_ja"],
            "rights_holder_en": data["rights_holder_en"],
            "metadata_cc0": data["metadata_cc0"],
            "source_url": data["source_url"],
            "event_name": data["event_name"],
            "performed_on": data["performed_on"],
            "preserving_group": data["preserving_group"],
        }

    @staticmethod
    def initial_for(item: Item) -> dict[str, Any]:
        return {
            "collection": item.collection_id,
            "title": item.title,
            "title_reading": item.title_reading,
            "title_en": item.title_en,
            "alternative_title": item.alternative_title,
            "creators": "\n".join(item.creators),
            "creators_reading": "\n".join(item.creators_reading),
            "description": item.description,
            "description_en": item.description_en,
            "date_text": item.date_text,
            "municipality": item.municipality_id,
            "place_name": item.place_name,
            "latitude": item.latitude,
            "longitude": item.longitude,
            "subjects": "\n".join(item.subjects),
            "type": item.type,
            "language": item.language,
            "rights": item.rights,
            "rights_holder_ja": item.rights_holder_ja,
            "rights_holder_en": item.rights_holder_en,
            "metadata_cc0": item.metadata_cc0,
            "source_url": item.source_url,
            "event_name": item.event_name,
            "performed_on": item.performed_on,
            "preserving_group": item.preserving_group,
        }


class StatusForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("publish", _("Publish")),
            ("embargo", _("Embargo until a date")),
            ("withdraw", _("Withdraw (back to draft)")),
            ("delete", _("Delete (a tombstone stays for harvesters)")),
        ],
    )
    embargo_until = forms.DateField(
        label=_("Embargo until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        until: date | None = data.get("embargo_until")
        if data.get("action") == "embargo":
            if until is None:
                self.add_error(
                    "embargo_until",
                    forms.ValidationError(_("An embargo needs a date."), code="required"),
                )
            elif until <= timezone.localdate():
                self.add_error(
                    "embargo_until",
                    forms.ValidationError(
                        _("The embargo date must be in the future."), code="past_embargo"
                    ),
                )
        return data


class BulkEditForm(StatusForm):
    items = forms.ModelMultipleChoiceField(queryset=Item.objects.none(), label=_("Items"))
    add_subject = forms.CharField(label=_("Add a subject"), max_length=100, required=False)
    rights = forms.ChoiceField(
        label=_("Set rights"), choices=[("", "—"), *Rights.choices], required=False
    )

    def __init__(self, *args: Any, items: QuerySet[Item], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = items  # type: ignore[attr-defined]
        action = self.fields["action"]
        action.required = False
        action.choices = [("", "—"), *action.choices]  # type: ignore[attr-defined]
