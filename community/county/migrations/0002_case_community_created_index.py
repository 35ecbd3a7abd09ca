"""An index for the list behind a community's figures (newest cases of one community).

Kept here, beside the only reader that needs it, as SQL on ``community_case``: without
it PostgreSQL walks the whole table's ``created_at`` index backwards and filters out
every other community's cases (275 ms for 51 rows at 100,000 cases on the shared box).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("county", "0001_initial"), ("community", "0006_media_name_index")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS county_case_community_created "
            "ON community_case (community_id, created_at)",
            "DROP INDEX IF EXISTS county_case_community_created",
        ),
    ]
