"""The database's own plan for a query, for tests that a query is answered from an index."""

from django.db import connection
from django.db.models import QuerySet


def plan(queryset: QuerySet) -> str:
    """EXPLAIN on PostgreSQL (fresh statistics, sequential scans priced out), EXPLAIN QUERY PLAN on SQLite.

    A tiny test table is cheaper to scan than to look up, so PostgreSQL is told to avoid scans:
    it still scans when no index can answer the query, which is what the tests catch.
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())
