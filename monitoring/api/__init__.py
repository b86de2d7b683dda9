"""The brand API of monitoring: `intake` (brand, settings, sources, mentions, dead letters,
imports) and `alerts` (waves, their verdicts, and alerts with their lifecycle)."""
