from django.db import migrations, models


def create_row(apps, schema_editor):
    apps.get_model("servicecreds", "AccessVersion").objects.get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ("servicecreds", "0002_setuplink"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(default="initial", max_length=32)),
            ],
            options={
                "verbose_name": "Stand der Zugriffsregel",
                "verbose_name_plural": "Stand der Zugriffsregel",
            },
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
