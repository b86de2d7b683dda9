"""PostgreSQL full-text search in each mention's own language.

A mention's search document (MentionSearch) is its text stemmed with its language's
configuration, written by processing after ingestion rather than by an index on the mention
table: stemming is the costliest part of storing a mention, and off the ingestion path it runs
in the worker. One GIN index serves every language; a search ORs one branch per language, each
with the query stemmed the same way. Languages without a configuration use 'simple'.
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


def document_sql(language: str, text: str) -> str:
    """SQL of a mention's search document: its text, stemmed in its own language."""
    cases = " ".join(
        f"WHEN '{lang}' THEN '{config}'::regconfig" for lang, config in TS_CONFIGS.items()
    )
    return f"to_tsvector(CASE {language} {cases} ELSE '{FALLBACK_CONFIG}'::regconfig END, {text})"


def match_sql() -> tuple[str, int]:
    """SQL selecting the ids of mentions matching a websearch query in their own language;
    returns the SQL and how many times the query parameter appears in it."""
    branches = [
        f"(language = '{lang}' AND document @@ websearch_to_tsquery('{config}'::regconfig, %s))"
        for lang, config in TS_CONFIGS.items()
    ]
    known = ", ".join(f"'{lang}'" for lang in TS_CONFIGS)
    branches.append(
        f"(language NOT IN ({known}) AND "
        f"document @@ websearch_to_tsquery('{FALLBACK_CONFIG}'::regconfig, %s))"
    )
    where = " OR ".join(branches)
    sql = f"SELECT mention_id FROM monitoring_mentionsearch WHERE {where}"  # noqa: S608
    return sql, len(branches)
