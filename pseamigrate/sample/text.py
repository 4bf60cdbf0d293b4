"""Obviously synthetic words and sentences in English, French and Arabic.

Nothing here describes a real person, place or event: names are "Synthetic person NNN",
organisations "Agency Alpha", and every narrative starts with a SYNTHETIC marker.
"""

from __future__ import annotations

import random

MARK = "[SYNTHETIC TEST DATA]"
EMOJI = "\U0001f64f"  # a 4-byte character: needs utf8mb4 (Drupal 7 utf8mb3 tables cannot hold it)
SENTENCES_EN = (
    "The reporter described a meeting at the distribution point.",
    "A follow-up visit was planned with the focal point.",
    "The complainant asked that the case stays confidential.",
    "Details were recorded by the intake officer on paper first.",
    "The alleged incident took place near the water station.",
    "The survivor was informed about available services.",
    "Consent for referral was given verbally.",
)
SENTENCES_FR = (
    "La personne a décrit une rencontre au point de distribution.",
    "Une visite de suivi a été prévue avec le point focal.",
    "La plaignante a demandé que le dossier reste confidentiel.",
    "Les détails ont d'abord été notés sur papier par l'agent d'accueil.",
    "L'incident présumé a eu lieu près du point d'eau.",
    "La survivante a été informée des services disponibles.",
)
SENTENCES_AR = (
    "وصفت المشتكية لقاءً في نقطة التوزيع.",
    "تم التخطيط لزيارة متابعة مع جهة الاتصال.",
    "طلبت المشتكية أن تبقى القضية سرية.",
    "تم إبلاغ الناجية بالخدمات المتاحة.",
    "حدثت الواقعة المزعومة قرب محطة المياه.",
)
ORGANISATIONS = (
    "Agency Alpha",
    "Agency Bravo",
    "Agency Charlie",
    "Agency Delta",
    "Agency Echo",
    "Agency Foxtrot",
    "Agency Golf",
    "Agency Hotel",
)
ALLEGATIONS_EN = (
    "Sexual exploitation",
    "Sexual abuse",
    "Sexual harassment",
    "Transactional sex",
    "Abuse of power",
    "Other misconduct",
)
ALLEGATIONS_FR = (
    "Exploitation sexuelle",
    "Abus sexuel",
    "Harcèlement sexuel",
    "Sexe transactionnel",
    "Abus de pouvoir",
    "Autre inconduite",
)
TOPICS_EN = (
    "Code of conduct",
    "How to report",
    "Survivor rights",
    "Feedback channels",
    "Services available",
    "Zero tolerance",
)
TOPICS_FR = (
    "Code de conduite",
    "Comment signaler",
    "Droits des survivants",
    "Canaux de retour",
    "Services disponibles",
    "Tolérance zéro",
)
REGION_AR = "منطقة"
REGION_FR = "Région"


def narrative(rng: random.Random, language: str, arabic: bool, emoji: bool) -> str:
    """Return a short synthetic narrative in the site's language(s)."""
    pool = SENTENCES_FR if language == "fr" else SENTENCES_EN
    parts = [MARK] + rng.choices(pool, k=rng.randint(2, 8))
    if arabic:
        parts += rng.choices(SENTENCES_AR, k=rng.randint(1, 3))
    # Draw the dice even without emoji so every layout of a site gets the same content.
    if rng.random() < 0.2 and emoji:
        parts.append(EMOJI)
    return " ".join(parts)


def long_narrative(language: str, arabic: bool, min_bytes: int = 70_000) -> str:
    """Return a narrative longer than 64 KB (it needs a longtext column, not text)."""
    pool: tuple[str, ...] = SENTENCES_FR if language == "fr" else SENTENCES_EN
    if arabic:
        pool = pool + SENTENCES_AR
    parts = [MARK]
    size = len(MARK)
    i = 0
    while size < min_bytes:
        sentence = pool[i % len(pool)]
        parts.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
        i += 1
    return " ".join(parts)


def location_names(language: str, arabic: bool, parents: int, children: int) -> list[list[str]]:
    """Return names of `parents` regions, each followed by its `children` districts."""
    region = REGION_FR if language == "fr" else "Region"
    tree = []
    for p in range(parents):
        name = f"{region} {chr(65 + p)}"
        if arabic:
            name += f" / {REGION_AR} {p + 1}"
        tree.append([name] + [f"{name} - District {c + 1}" for c in range(children)])
    return tree


def person_name(number: int) -> str:
    """Return an obviously synthetic account name."""
    return f"synthetic.person.{number:03d}"


NOTES_EN = (
    "Called the complainant back; no answer.",
    "Case discussed with the PSEA coordinator.",
    "Referral form sent to the service provider.",
    "Investigation team informed.",
    "Survivor prefers contact through the focal point.",
)
NOTES_FR = (
    "Rappel de la plaignante ; pas de réponse.",
    "Dossier discuté avec le coordinateur PSEA.",
    "Formulaire de référence envoyé au prestataire.",
    "L'équipe d'enquête a été informée.",
)


def comment_body(rng: random.Random, language: str, arabic: bool, emoji: bool) -> str:
    """Return a short synthetic case note (a comment body) in the site's language(s)."""
    pool = NOTES_FR if language == "fr" else NOTES_EN
    parts = [MARK] + rng.choices(pool, k=rng.randint(1, 3))
    if arabic and rng.random() < 0.4:
        parts.append(rng.choice(SENTENCES_AR))
    if rng.random() < 0.15 and emoji:  # drawn as in `narrative`: same comments in every layout
        parts.append(EMOJI)
    return " ".join(parts)


# Hand-typed incident dates: `(value, parseable)`. Parseable ones come in three formats.
UNPARSEABLE_DATES = ("last spring", "??", "")


def incident_date(index: int, stamp: str) -> tuple[str, bool]:
    """Return complaint `index`'s free-text incident date from ISO date `stamp`, and whether it
    is a date at all: every 7th (from the 4th) is not; the others rotate over three formats."""
    if index % 7 == 3:
        return UNPARSEABLE_DATES[(index // 7) % len(UNPARSEABLE_DATES)], False
    year, month, day = stamp.split("-")
    months = "January February March April May June July August September October November December"
    forms = (stamp, f"{day}/{month}/{year}", f"{int(day)} {months.split()[int(month) - 1]} {year}")
    return forms[index % 3], True


def sized_narrative(size: int, emoji: bool) -> str:
    """Return a narrative of exactly `size` bytes of UTF-8 in mixed scripts (Latin, accented
    French, Arabic, and the 4-byte emoji where the charset holds it), padded with ASCII."""
    if size < 64:
        return "." * size
    block = " ".join((SENTENCES_EN[0], SENTENCES_FR[0], SENTENCES_AR[0])) + " "
    if emoji:
        block += EMOJI + " "
    head = MARK + " "
    unit = len(block.encode())
    count = max(0, (size - len(head)) // unit)
    body = head + block * count
    return body + "." * (size - len(body.encode()))
