"""TOTP secrets sealed at rest (kurashi/core/otp.py): the proxy model, and every existing device's
hex secret sealed in place. Reversible: unsealing writes the hex back."""

from django.db import migrations


def seal_existing(apps, schema_editor):
    from kurashi.core.otp import seal_stored

    device_model = apps.get_model("otp_totp", "TOTPDevice")
    for device in device_model.objects.using(schema_editor.connection.alias).iterator():
        sealed = seal_stored(device.key)
        if sealed != device.key:
            device_model.objects.filter(pk=device.pk).update(key=sealed)


def unseal_existing(apps, schema_editor):
    from kurashi.core.otp import open_secret

    device_model = apps.get_model("otp_totp", "TOTPDevice")
    for device in device_model.objects.using(schema_editor.connection.alias).iterator():
        device_model.objects.filter(pk=device.pk).update(key=open_secret(device.key).hex())


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
        migrations.RunPython(seal_existing, unseal_existing, elidable=False),
    ]
