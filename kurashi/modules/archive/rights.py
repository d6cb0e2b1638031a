"""Rights as data: a closed list of statements with their URIs (Creative Commons, the Public Domain
Mark, RightsStatements.org, 公共データ利用規約) and the credit line generated from them."""

from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Rights(models.TextChoices):
    CC0 = "cc0", "CC0 1.0"
    PDM = "pdm", _("Public Domain Mark 1.0")
    CC_BY = "cc-by", "CC BY 4.0"
    CC_BY_SA = "cc-by-sa", "CC BY-SA 4.0"
    CC_BY_NC = "cc-by-nc", "CC BY-NC 4.0"
    CC_BY_NC_SA = "cc-by-nc-sa", "CC BY-NC-SA 4.0"
    CC_BY_ND = "cc-by-nd", "CC BY-ND 4.0"
    CC_BY_NC_ND = "cc-by-nc-nd", "CC BY-NC-ND 4.0"
    PDL = "pdl-1.0", _("Public Data License 1.0 (公共データ利用規約)")
    INC = "rs-inc", _("In Copyright")
    INC_EDU = "rs-inc-edu", _("In Copyright - Educational Use Permitted")
    INC_NC = "rs-inc-nc", _("In Copyright - Non-Commercial Use Permitted")
    INC_RUU = "rs-inc-ruu", _("In Copyright - Rights-holder(s) Unlocatable or Unidentifiable")
    NOC_CR = "rs-noc-cr", _("No Copyright - Contractual Restrictions")
    NOC_NC = "rs-noc-nc", _("No Copyright - Non-Commercial Use Only")
    NOC_OKLR = "rs-noc-oklr", _("No Copyright - Other Known Legal Restrictions")
    NKC = "rs-nkc", _("No Known Copyright")
    CNE = "rs-cne", _("Copyright Not Evaluated")
    UND = "rs-und", _("Copyright Undetermined")


_CC = "http://creativecommons.org/licenses/{}/4.0/"
_RS = "http://rightsstatements.org/vocab/{}/1.0/"
RIGHTS_URIS: dict[str, str] = {
    Rights.CC0: "http://creativecommons.org/publicdomain/zero/1.0/",
    Rights.PDM: "http://creativecommons.org/publicdomain/mark/1.0/",
    Rights.CC_BY: _CC.format("by"),
    Rights.CC_BY_SA: _CC.format("by-sa"),
    Rights.CC_BY_NC: _CC.format("by-nc"),
    Rights.CC_BY_NC_SA: _CC.format("by-nc-sa"),
    Rights.CC_BY_ND: _CC.format("by-nd"),
    Rights.CC_BY_NC_ND: _CC.format("by-nc-nd"),
    Rights.PDL: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
    Rights.INC: _RS.format("InC"),
    Rights.INC_EDU: _RS.format("InC-EDU"),
    Rights.INC_NC: _RS.format("InC-NC"),
    Rights.INC_RUU: _RS.format("InC-RUU"),
    Rights.NOC_CR: _RS.format("NoC-CR"),
    Rights.NOC_NC: _RS.format("NoC-NC"),
    Rights.NOC_OKLR: _RS.format("NoC-OKLR"),
    Rights.NKC: _RS.format("NKC"),
    Rights.CNE: _RS.format("CNE"),
    Rights.UND: _RS.format("UND"),
}
# IIIF Presentation 3 `rights` accepts only CC and RightsStatements.org URIs: the 公共データ利用規約
# is CC BY 4.0 compatible and is published under that URI, with the term itself in
# requiredStatement.
IIIF_RIGHTS_URIS = {**RIGHTS_URIS, Rights.PDL: _CC.format("by")}
OPEN_RIGHTS = {Rights.CC0, Rights.PDM, Rights.NKC}


@dataclass(frozen=True)
class CreditLine:
    ja: str
    en: str


def credit_line(*, rights: str, holder_ja: str, holder_en: str, title: str, url: str) -> CreditLine:
    """出典表示 generated from the rights statement: what a re-user must write."""
    with translation.override("ja"):
        label_ja = str(Rights(rights).label)
    with translation.override("en"):
        label_en = str(Rights(rights).label)
    holder_ja = holder_ja or "佐賀県"
    holder_en = holder_en or holder_ja
    if rights == Rights.PDL:
        return CreditLine(
            ja=f"出典：{holder_ja}「{title}」({url})（公共データ利用規約（第1.0版）に基づき利用）",
            en=f"Source: {holder_en}, “{title}” ({url}), used under the Public Data License 1.0",
        )
    return CreditLine(
        ja=f"出典：{holder_ja}「{title}」({url})（{label_ja}）",
        en=f"Source: {holder_en}, “{title}” ({url}) ({label_en})",
    )
