from django.db import migrations


class Migration(migrations.Migration):
    """DRF's never-expiring tokens are replaced by knox's (`core.tokens`): their table, with each
    key in plain text, goes. Old tokens stop working; their holders sign in again
    (POST /api/auth/login/). Going back leaves it dropped: those tokens are not to return."""

    dependencies = [
        ("core", "0012_outboxmessage"),
        ("knox", "0009_extend_authtoken_field"),
    ]
    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop),
    ]
