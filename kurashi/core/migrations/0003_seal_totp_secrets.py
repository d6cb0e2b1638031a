"""TOTP secrets sealed at rest (kurashi/core/otp.py): the proxy model. The sealing of existing rows
moved to 0005 (core's sealing service), which also seals any hex secret left from before this
migration; installations that ran this migration's own sealing ("s1:" rows) are re-sealed there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="SealedTOTPDevice",
            fields=[],
            options={
                "verbose_name": "TOTP device (sealed)",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("otp_totp.totpdevice",),
        ),
    ]
