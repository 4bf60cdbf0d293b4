"""The same person on several sites: accounts matched on their e-mail up to case and spaces.

Only digests of e-mail addresses are kept in memory (sha256), never the addresses, and only
`site:uid` ids are reported. Accounts merge into one target account per person, with one
membership per tenant (PRODUCT.md §3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from pseamigrate.assess.context import SiteContext
from pseamigrate.assess.findings import Finding, capped
from pseamigrate.drupal.source import keyset


def normalise(mail: str) -> str:
    """Return an e-mail as accounts are matched: without spaces, case-folded."""
    return "".join(mail.split()).casefold()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Identities:
    """Per normalised e-mail digest: the (site, uid) accounts and their exact-address digests."""

    accounts: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    without_mail: dict[str, list[int]] = field(default_factory=dict)

    def add(self, site: str, uid: int, mail: str | None) -> None:
        """Remember one account by the digests of its e-mail."""
        if not mail or not mail.strip():
            self.without_mail.setdefault(site, []).append(uid)
            return
        key = _digest(normalise(mail))
        self.accounts.setdefault(key, []).append((site, uid, _digest(mail)))


def collect(ctx: SiteContext, into: Identities) -> None:
    """Stream a site's accounts (not anonymous) into `into`."""
    s = ctx.source
    table = "users" if ctx.layout == "d7" else "users_field_data"
    only = "" if ctx.layout == "d7" else "AND default_langcode = 1 "
    sql = (
        f"SELECT uid, mail FROM {s.q(table)} WHERE uid > 0 {only}AND uid > :after "
        "ORDER BY uid LIMIT :size"
    )
    for batch in keyset(s, sql, {}, "uid", 1000, table=s.name(table)):
        for row in batch:
            into.add(ctx.name, int(row["uid"]), row["mail"])


def identity_findings(ids: Identities) -> Iterator[Finding]:
    """Report people on several sites, addresses that differ only in case or spaces, and
    accounts of one site that share an address."""
    shared = [a for a in ids.accounts.values() if len({site for site, _, _ in a}) > 1]
    if shared:
        sites = sorted({site for a in shared for site, _, _ in a})
        yield Finding(
            "*",
            "shared_identity",
            "info",
            "accounts",
            f"{len(shared)} person(s) have accounts on several sites ({', '.join(sites)})",
            len(shared),
            capped(_accounts(shared)),
            "one account per person (matched on the e-mail without case and spaces), with one "
            "membership per tenant carrying that site's roles",
        )
    variants = [a for a in ids.accounts.values() if len({exact for _, _, exact in a}) > 1]
    if variants:
        yield Finding(
            "*",
            "mail_case_or_spaces",
            "info",
            "accounts",
            f"{len(variants)} person(s) whose accounts' e-mails differ only in case or spaces",
            len(variants),
            capped(_accounts(variants)),
            "matched all the same: they merge into one account",
        )
    yield from _same_site(ids)


def _same_site(ids: Identities) -> Iterator[Finding]:
    for site in sorted({site for a in ids.accounts.values() for site, _, _ in a}):
        dupes = [
            [a for a in accounts if a[0] == site]
            for accounts in ids.accounts.values()
            if sum(1 for a in accounts if a[0] == site) > 1
        ]
        if dupes:
            yield Finding(
                site,
                "same_mail_on_one_site",
                "warning",
                "users",
                f"{len(dupes)} e-mail(s) shared by several accounts of this site",
                len(dupes),
                capped(_accounts(dupes)),
                "they merge into one account with one membership in this tenant; both uids "
                "map to it",
            )
    for site, uids in sorted(ids.without_mail.items()):
        yield Finding(
            site,
            "no_mail",
            "info",
            "users",
            f"{len(uids)} account(s) without an e-mail",
            len(uids),
            capped(uids),
            "cannot be matched across sites: each stays its own account",
        )


def _accounts(groups: list[list[tuple[str, int, str]]]) -> Iterator[str]:
    for group in groups:
        yield "+".join(f"{site}:{uid}" for site, uid, _ in group)
