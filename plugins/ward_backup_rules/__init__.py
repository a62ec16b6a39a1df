"""Ward's declarative backup rules: every ``templates/<platform>/backup.yaml`` served through the
backup hooks, so that supporting a new platform is adding that file.

The entry point ``backup-rules = "ward_backup_rules.plugin"`` loads :mod:`ward_backup_rules.plugin`.
"""

PLUGIN = "backup-rules"
"""The plugin's name: its entry-point name, used in errors and to block it."""
