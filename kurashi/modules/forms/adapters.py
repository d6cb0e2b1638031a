"""Adapters behind interfaces: identity providers (GビズID, デジタル認証アプリ) and payment providers
(eL-QR, JPQR, card acquirers). Each has a registry keyed by name; the shipped implementations are
fakes that behave like the real services at their boundary (a redirect out, a callback in, a
settlement report), so that every flow is testable without a live service. A real adapter
implements the same class and is registered under its name (settings FORMS_IDENTITY_PROVIDERS /
FORMS_PAYMENT_PROVIDERS map names to dotted paths).
"""

import json
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from kurashi.modules.forms.definition import IdentityLevel


@dataclass(frozen=True)
class Identity:
    """Who an identity provider says the applicant is. `attributes` keep what the provider
    asserted (for GビズID: corporate_number, account_type prime/member, company name)."""

    level: IdentityLevel
    subject: str
    attributes: dict[str, str] = field(default_factory=dict)


class IdentityProvider(ABC):
    name: str
    level: IdentityLevel
    label_ja: str
    label_en: str

    @abstractmethod
    def start_url(self, *, state: str) -> str:
        """Where to send the applicant to sign in; the provider comes back with `state`."""

    @abstractmethod
    def complete(self, *, params: dict[str, str]) -> Identity:
        """Turn the provider's callback parameters into an identity (raises ValueError)."""


class FakeIdentityProvider(IdentityProvider):
    """A stand-in for an OIDC provider: its sign-in page is served by Kurashi itself
    (forms:fake_identity) and only when FORMS_FAKE_PROVIDERS_ENABLED is on."""

    def start_url(self, *, state: str) -> str:
        return reverse("forms:fake_identity", args=[self.name]) + f"?state={state}"

    def complete(self, *, params: dict[str, str]) -> Identity:
        subject = params.get("subject", "").strip()
        if not subject:
            raise ValueError("no subject")
        attributes = {
            key: params[key].strip()
            for key in ("corporate_number", "account_type", "company", "name")
            if params.get(key, "").strip()
        }
        return Identity(level=self.level, subject=subject, attributes=attributes)


class FakeGBizID(FakeIdentityProvider):
    name = "gbizid"
    level = IdentityLevel.GBIZID
    label_ja = "GビズID"
    label_en = "gBizID"


class FakeDigitalAuth(FakeIdentityProvider):
    name = "digital_auth"
    level = IdentityLevel.DIGITAL_AUTH
    label_ja = "デジタル認証アプリ"
    label_en = "Digital Authentication App"


@dataclass(frozen=True)
class Settlement:
    """One payment as the provider's settlement report lists it."""

    reference: str
    amount_yen: int
    provider_payment_id: str
    paid_at: datetime


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def start_url(self, *, reference: str, amount_yen: int) -> str:
        """Where the applicant pays the payment with this reference number."""

    @abstractmethod
    def settlements(self) -> list[Settlement]:
        """The provider's settlement report (for the reconciliation report)."""


class FakePaymentProvider(PaymentProvider):
    """A stand-in acquirer whose pay page is served by Kurashi (forms:fake_pay). Its settlement
    ledger is a JSON-lines file under var/, like a provider's daily report kept outside our
    database; `settle()` appends to it."""

    name = "fake"

    def start_url(self, *, reference: str, amount_yen: int) -> str:
        return reverse("forms:fake_pay", args=[reference])

    @property
    def ledger(self) -> Path:
        return Path(settings.VAR_DIR) / "fake-payments.jsonl"

    def settle(self, *, reference: str, amount_yen: int) -> Settlement:
        settlement = Settlement(
            reference=reference,
            amount_yen=amount_yen,
            provider_payment_id="fake_" + secrets.token_hex(8),
            paid_at=timezone.now(),
        )
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        with self.ledger.open("a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "reference": settlement.reference,
                        "amount_yen": settlement.amount_yen,
                        "provider_payment_id": settlement.provider_payment_id,
                        "paid_at": settlement.paid_at.isoformat(),
                    }
                )
                + "\n"
            )
        return settlement

    def settlements(self) -> list[Settlement]:
        if not self.ledger.exists():
            return []
        rows = []
        for line in self.ledger.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data: dict[str, Any] = json.loads(line)
            rows.append(
                Settlement(
                    reference=data["reference"],
                    amount_yen=int(data["amount_yen"]),
                    provider_payment_id=data["provider_payment_id"],
                    paid_at=datetime.fromisoformat(data["paid_at"]),
                )
            )
        return rows


DEFAULT_IDENTITY_PROVIDERS = {
    "gbizid": "kurashi.modules.forms.adapters.FakeGBizID",
    "digital_auth": "kurashi.modules.forms.adapters.FakeDigitalAuth",
}
DEFAULT_PAYMENT_PROVIDERS = {"fake": "kurashi.modules.forms.adapters.FakePaymentProvider"}


def fakes_enabled() -> bool:
    return bool(getattr(settings, "FORMS_FAKE_PROVIDERS_ENABLED", True))


def identity_provider(level: IdentityLevel) -> IdentityProvider | None:
    paths = getattr(settings, "FORMS_IDENTITY_PROVIDERS", DEFAULT_IDENTITY_PROVIDERS)
    path = paths.get(str(level))
    if path is None:
        return None
    provider: IdentityProvider = import_string(path)()
    if isinstance(provider, FakeIdentityProvider) and not fakes_enabled():
        return None
    return provider


def payment_provider(name: str) -> PaymentProvider | None:
    paths = getattr(settings, "FORMS_PAYMENT_PROVIDERS", DEFAULT_PAYMENT_PROVIDERS)
    path = paths.get(name)
    if path is None:
        return None
    provider: PaymentProvider = import_string(path)()
    if isinstance(provider, FakePaymentProvider) and not fakes_enabled():
        return None
    return provider
