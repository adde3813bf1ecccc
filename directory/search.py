"""People search that an index can answer: prefix keys kept beside each directory user.

The Add members box matches a user whose name, a word of the name, mail or user principal name
starts with what was typed. `LIKE '%…%'` over the users table can't use an index, so each user
keeps its lower-cased keys in `UserSearchTerm` (the name, the name from each word on, the mail,
the UPN), each with the user's name to sort by and the key's first one, two and three characters.

Suggestions come in name order, and a search reads them in that order from an index, a page at a
time, without sorting the matches: a common prefix ("a" matches a third of a tenant) costs one page
whatever the tenant's size. Up to three characters are an equality on `prefix1`, `prefix2` or
`prefix3`, each indexed as `(tenant, prefix, display_name, user)`. A longer search is `prefix3`
and `term LIKE 'q%'`: the planner either walks that prefix's keys in name order, testing each term
from the `(tenant, prefix3, display_name, user, term)` index, or, when few keys can match ("lee g"),
reads the prefix range of the `(tenant, term, display_name, user)` index and sorts those few.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Lower

from directory.models import DirectoryUser, UserSearchTerm

# Lower(...) as a transform, so `mail__lower=value` compiles to the LOWER(mail) expression the
# unique indexes are built on (iexact compiles to UPPER(...) on PostgreSQL and LIKE on SQLite,
# which neither index can answer).
CharField.register_lookup(Lower)

SEARCHED_FIELDS = ("display_name", "mail", "user_principal_name")
# The greatest code point: every string starting with q sorts below q + it (binary order).
_AFTER_EVERY_SUFFIX = "\U0010ffff"
# The longest prefix a key stores beside its term (prefix1 to prefix3).
PREFIX_LENGTH = 3


def search_terms(*, display_name: str, mail: str, user_principal_name: str) -> set[str]:
    """The lower-cased keys a prefix must match: the name, the name from each word on, mail, UPN."""
    name = display_name.lower()
    terms = {name, mail.lower(), user_principal_name.lower()}
    terms.update(name[i + 1 :] for i, char in enumerate(name) if char == " ")
    # A key starting with a space can never match: the typed text is stripped.
    return {term for term in terms if term and not term[0].isspace()}


def term_rows(users: Iterable[DirectoryUser]) -> list[UserSearchTerm]:
    """Unsaved rows for these users' keys (for bulk_create)."""
    return [
        UserSearchTerm(
            tenant_id=user.tenant_id,
            user_id=user.pk,
            term=term,
            display_name=user.display_name,
            prefix1=term[:1],
            prefix2=term[:2],
            prefix3=term[:3],
        )
        for user in users
        for term in search_terms(
            display_name=user.display_name, mail=user.mail, user_principal_name=user.user_principal_name
        )
    ]


def sync_search_terms(*, user: DirectoryUser, created: bool) -> None:
    """Bring the user's keys up to date: one insert for a new user, a read (and the changes) otherwise."""
    wanted = {row.term: row for row in term_rows([user])}
    if not created:
        stored = dict(UserSearchTerm.objects.filter(user=user).values_list("term", "display_name"))
        if stored.keys() - wanted.keys():
            UserSearchTerm.objects.filter(user=user, term__in=stored.keys() - wanted.keys()).delete()
        if any(name != user.display_name for term, name in stored.items() if term in wanted):
            UserSearchTerm.objects.filter(user=user).update(display_name=user.display_name)
        wanted = {term: row for term, row in wanted.items() if term not in stored}
    if wanted:
        UserSearchTerm.objects.bulk_create(wanted.values())


def prefix_filter(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, case-sensitively, in a form the `(tenant, term)` index answers.

    PostgreSQL answers a LIKE prefix from a `text_pattern_ops` index whatever the collation;
    SQLite's LIKE ignores case, so it gets the equivalent binary range.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _AFTER_EVERY_SUFFIX})


def keys_with_prefix(*, tenant_id: object, q: str) -> QuerySet[UserSearchTerm]:
    """The tenant's keys starting with q (lower-cased) in suggestion order, read from a prefix index in that order."""
    q = q.lower()
    if len(q) <= PREFIX_LENGTH:
        matches = Q(**{f"prefix{len(q)}": q})
    else:
        matches = Q(prefix3=q[:PREFIX_LENGTH]) & prefix_filter("term", q)
    return (
        UserSearchTerm.objects.filter(matches, tenant_id=tenant_id)
        .order_by("display_name", "user_id")
        .values_list("display_name", "user_id")
    )


def users_with_term(*, tenant_id: object, q: str) -> QuerySet[UserSearchTerm]:
    """The ids of the tenant's users with a key equal to q (lower-cased), as a subquery."""
    return UserSearchTerm.objects.filter(tenant_id=tenant_id, term=q.lower()).values("user_id")


def _user_saved(sender: type, instance: DirectoryUser, created: bool, update_fields: frozenset | None, **kw) -> None:
    if update_fields is not None and not update_fields & set(SEARCHED_FIELDS):
        return
    sync_search_terms(user=instance, created=created)
