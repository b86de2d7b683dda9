"""PostgreSQL full-text search in each mention's own language.

One partial GIN index per language (migration 0003) on `to_tsvector('<config>', text)`; a search
ORs one branch per language, each matching its own index, so Dutch mentions are stemmed as Dutch
and Swedish as Swedish. Languages without a configuration use 'simple' (no stemming).
"""

TS_CONFIGS = {
    "en": "english",
    "nl": "dutch",
    "sv": "swedish",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "da": "danish",
    "no": "norwegian",
    "fi": "finnish",
    "pt": "portuguese",
}
FALLBACK_CONFIG = "simple"


def index_sql(table: str) -> list[tuple[str, str]]:
    """(create, drop) statements of the per-language search indexes."""
    statements = []
    for lang, config in TS_CONFIGS.items():
        name = f"mention_fts_{lang}"
        statements.append(
            (
                f"CREATE INDEX {name} ON {table} USING gin "
                f"(to_tsvector('{config}'::regconfig, text)) WHERE language = '{lang}'",
                f"DROP INDEX IF EXISTS {name}",
            )
        )
    known = ", ".join(f"'{lang}'" for lang in TS_CONFIGS)
    statements.append(
        (
            f"CREATE INDEX mention_fts_other ON {table} USING gin "
            f"(to_tsvector('{FALLBACK_CONFIG}'::regconfig, text)) WHERE language NOT IN ({known})",
            "DROP INDEX IF EXISTS mention_fts_other",
        )
    )
    return statements


def match_sql(table: str) -> tuple[str, int]:
    """A WHERE fragment matching a websearch query in every language; returns the SQL and how
    many times the query parameter appears in it."""
    branches = [
        f"({table}.language = '{lang}' AND to_tsvector('{config}'::regconfig, {table}.text) "
        f"@@ websearch_to_tsquery('{config}'::regconfig, %s))"
        for lang, config in TS_CONFIGS.items()
    ]
    known = ", ".join(f"'{lang}'" for lang in TS_CONFIGS)
    branches.append(
        f"({table}.language NOT IN ({known}) AND "
        f"to_tsvector('{FALLBACK_CONFIG}'::regconfig, {table}.text) "
        f"@@ websearch_to_tsquery('{FALLBACK_CONFIG}'::regconfig, %s))"
    )
    return "(" + " OR ".join(branches) + ")", len(branches)
