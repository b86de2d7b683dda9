from django.db import migrations

from monitoring.textsearch import index_sql

STATEMENTS = index_sql("monitoring_mention")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_sources_mentions")]

    operations = [
        migrations.RunSQL(sql=create, reverse_sql=drop) for create, drop in STATEMENTS
    ]
