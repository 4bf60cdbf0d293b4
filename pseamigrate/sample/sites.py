"""The four CRP sample sites: their shared content model and the drift each clone carries.

Field kinds here are layout-neutral (`text`, `date`, `list`, `term`, `bool`, `longtext`, `file`,
`noderef`, `int`, `unixdate`: a date as Unix time in an integer field); `d7.py` and `d8.py` turn
them into Drupal 7 or Drupal 8+ field types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SITE_NAMES = ("demo", "iraq", "drc", "syria")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a content type, before it is given a Drupal 7 or 8+ type."""

    name: str
    kind: str
    label: str
    label_fr: str = ""
    cardinality: int = 1
    allowed: tuple[tuple[str, str], ...] = ()  # list fields: (stored key, label)
    vocabulary: str = ""  # term fields: target vocabulary machine name
    target_bundle: str = ""  # noderef fields: target node type
    deleted: bool = False  # a deleted instance whose data rows remain


@dataclass(frozen=True)
class BundleSpec:
    """A node type with its fields and how many nodes a scale of 1.0 gives it."""

    name: str
    label: str
    label_fr: str
    per_scale: int
    fields: tuple[FieldSpec, ...]


@dataclass(frozen=True)
class VocabularySpec:
    """A vocabulary; `hierarchical` vocabularies get parents with children."""

    machine_name: str
    label: str
    label_fr: str
    hierarchical: bool = False
    terms: str = ""  # whose term names it holds (a renamed vocabulary); default machine_name

    @property
    def role(self) -> str:
        """Return the template vocabulary this one is (its own name unless renamed)."""
        return self.terms or self.machine_name


@dataclass(frozen=True)
class SiteSpec:
    """One CRP site: its content model and the drift it carries."""

    name: str
    code: str
    language: str
    seed_offset: int
    bundles: tuple[BundleSpec, ...]
    vocabularies: tuple[VocabularySpec, ...]
    d7_charset: str = "utf8mb3"  # d8 layouts are always utf8mb4
    timezone: str = "UTC"  # D7 `date_default_timezone`, D8+ config `system.date`
    arabic: bool = False
    drift: dict[str, object] = field(default_factory=dict)

    def bundle(self, name: str) -> BundleSpec:
        """Return the bundle called `name`."""
        return next(b for b in self.bundles if b.name == name)


INTAKE = (
    ("hotline", "Hotline"),
    ("complaint_box", "Complaint box"),
    ("in_person", "In person"),
    ("email", "Email"),
    ("community_focal_point", "Community focal point"),
)
AGE_GROUPS = (("0_11", "0-11"), ("12_17", "12-17"), ("18_59", "18-59"), ("60_plus", "60+"))
SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown"))
STATUSES = (
    ("new", "New"),
    ("in_progress", "In progress"),
    ("referred", "Referred for investigation"),
    ("closed", "Closed"),
)
SERVICES = (
    ("medical", "Medical"),
    ("psychosocial", "Psychosocial"),
    ("legal", "Legal"),
    ("safety", "Safety and security"),
    ("livelihood", "Livelihood"),
)
OUTCOMES = (
    ("pending", "Pending"),
    ("accepted", "Accepted"),
    ("declined", "Declined by survivor"),
    ("completed", "Completed"),
)

COMPLAINT = BundleSpec(
    "complaint",
    "Complaint",
    "Plainte",
    120,
    (
        FieldSpec("field_complaint_code", "text", "Complaint code", "Code de la plainte"),
        FieldSpec("field_date_received", "date", "Date received", "Date de réception"),
        FieldSpec("field_intake_channel", "list", "Intake channel", "Canal", allowed=INTAKE),
        FieldSpec("field_survivor_age_group", "list", "Age group", "Âge", allowed=AGE_GROUPS),
        FieldSpec("field_survivor_sex", "list", "Sex", "Sexe", allowed=SEXES),
        FieldSpec(
            "field_perpetrator_org",
            "term",
            "Organisation",
            "Organisation",
            vocabulary="organisation",
        ),
        FieldSpec(
            "field_allegation_type",
            "term",
            "Allegation",
            "Allégation",
            vocabulary="allegation_type",
        ),
        FieldSpec("field_location", "term", "Location", "Lieu", vocabulary="location"),
        FieldSpec("field_complaint_status", "list", "Status", "Statut", allowed=STATUSES),
        FieldSpec("field_referred_va", "bool", "Referred to victim assistance", "Référée à l'AV"),
        FieldSpec("field_narrative", "longtext", "Confidential narrative", "Récit confidentiel"),
        FieldSpec("field_attachments", "file", "Attachments", "Pièces jointes", cardinality=-1),
        # Free text typed by hand: mostly dates in three formats, some not dates at all.
        FieldSpec("field_incident_date", "text", "Incident date", "Date de l'incident"),
    ),
)
REFERRAL = BundleSpec(
    "referral",
    "Referral",
    "Référence",
    70,
    (
        FieldSpec(
            "field_complaint_ref", "noderef", "Complaint", "Plainte", target_bundle="complaint"
        ),
        FieldSpec("field_service_type", "list", "Service type", "Service", allowed=SERVICES),
        FieldSpec("field_referral_date", "date", "Referral date", "Date de référence"),
        FieldSpec("field_referral_outcome", "list", "Outcome", "Résultat", allowed=OUTCOMES),
    ),
)
AWARENESS = BundleSpec(
    "awareness_session",
    "Awareness session",
    "Session de sensibilisation",
    50,
    (
        FieldSpec("field_session_date", "date", "Session date", "Date"),
        FieldSpec("field_session_location", "term", "Location", "Lieu", vocabulary="location"),
        FieldSpec("field_participants_women", "int", "Women", "Femmes"),
        FieldSpec("field_participants_men", "int", "Men", "Hommes"),
        FieldSpec("field_participants_girls", "int", "Girls", "Filles"),
        FieldSpec("field_participants_boys", "int", "Boys", "Garçons"),
        FieldSpec(
            "field_session_topics",
            "term",
            "Topics",
            "Thèmes",
            cardinality=-1,
            vocabulary="awareness_topic",
        ),
        FieldSpec(
            "field_facilitating_org",
            "term",
            "Facilitator",
            "Facilitateur",
            vocabulary="organisation",
        ),
    ),
)
VOCABULARIES = (
    VocabularySpec("organisation", "Organisations", "Organisations"),
    VocabularySpec("allegation_type", "Allegation types", "Types d'allégation"),
    VocabularySpec("location", "Locations", "Lieux", hierarchical=True),
    VocabularySpec("awareness_topic", "Awareness topics", "Thèmes de sensibilisation"),
)
# Node types whose nodes take comments (the complaint handlers' case notes, a few on referrals).
COMMENTED = ("complaint", "referral")
# The node's comment field (Drupal 8+ only; Drupal 7 keeps the setting in node.comment).
COMMENT_FIELD = FieldSpec("comment", "comment", "Comments", "Commentaires")
COMMENT_BODY = FieldSpec("comment_body", "longtext", "Comment", "Commentaire")
# Fields of user accounts (entity type user, bundle user) and of location terms.
USER_FIELDS = (
    FieldSpec("field_full_name", "text", "Full name", "Nom complet"),
    FieldSpec("field_phone", "text", "Phone", "Téléphone"),
    FieldSpec(
        "field_organisation", "term", "Organisation", "Organisation", vocabulary="organisation"
    ),
)
LOCATION_FIELDS = (FieldSpec("field_location_code", "text", "Location code", "Code du lieu"),)
# Iraq's drift: one extra complaint field and one extra intake channel value.
CAMP_FIELD = FieldSpec("field_camp_name", "text", "Camp name")
EXTRA_CHANNEL = ("camp_committee", "Camp committee")
# ... and two statuses of its own, which the model's required `status` lacks (#22): a scaffold
# that keeps them only in extra leaves the column empty and the row fails.
EXTRA_STATUSES = (("awaiting_review", "Awaiting review"), ("escalated", "Escalated"))
# ... and (#22) the template's topics vocabulary and referral → complaint link under names of its
# own, which neither the model's vocabulary name nor its column name matches: the scaffold must
# find them by what references them and what they point at.
TOPICS_VOCABULARY = "crp_topics"
CASE_LINK = "field_case_nid"
# DRC's drift: a field whose only instance was deleted; its data rows remain.
OLD_CASE_FIELD = FieldSpec(
    "field_old_case_number", "text", "Old case number", "Ancien numéro", deleted=True
)


# Iraq's and DRC's drift (#22): the date received is Unix time in an integer field, and the site
# is hours away from UTC (Iraq +03; DRC was left at its installer's Port-au-Prince, -05/-04), so
# a complaint received near midnight falls on another calendar day in UTC.
UNIX_DATE_RECEIVED = "field_date_received"


def _unix_dates(fields: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    return tuple(replace(f, kind="unixdate") if f.name == UNIX_DATE_RECEIVED else f for f in fields)


def _iraq_renamed(bundle: BundleSpec) -> BundleSpec:
    """Point the topics field at Iraq's own vocabulary and name its complaint link its way."""

    def renamed(f: FieldSpec) -> FieldSpec:
        if f.vocabulary == "awareness_topic":
            return replace(f, vocabulary=TOPICS_VOCABULARY)
        return replace(f, name=CASE_LINK) if f.name == "field_complaint_ref" else f

    return replace(bundle, fields=tuple(renamed(f) for f in bundle.fields))


IRAQ_VOCABULARIES = tuple(
    replace(v, machine_name=TOPICS_VOCABULARY, terms=v.machine_name)
    if v.machine_name == "awareness_topic"
    else v
    for v in VOCABULARIES
)


def _iraq_complaint() -> BundleSpec:
    more = {"field_intake_channel": (EXTRA_CHANNEL,), "field_complaint_status": EXTRA_STATUSES}
    fields = tuple(replace(f, allowed=f.allowed + more.get(f.name, ())) for f in COMPLAINT.fields)
    return replace(COMPLAINT, fields=_unix_dates(fields) + (CAMP_FIELD,))


SITES: dict[str, SiteSpec] = {
    "demo": SiteSpec("demo", "DEM", "en", 0, (COMPLAINT, REFERRAL, AWARENESS), VOCABULARIES),
    "iraq": SiteSpec(
        "iraq",
        "IRQ",
        "en",
        1000,
        (_iraq_complaint(), _iraq_renamed(REFERRAL), _iraq_renamed(AWARENESS)),
        IRAQ_VOCABULARIES,
        d7_charset="latin1",
        arabic=True,
        timezone="Asia/Baghdad",
        drift={
            "extra_fields": {"complaint": [CAMP_FIELD.name]},
            "extra_list_values": {
                "field_intake_channel": [EXTRA_CHANNEL[0]],
                "field_complaint_status": [key for key, _ in EXTRA_STATUSES],
            },
            "unix_dates": {"complaint": [UNIX_DATE_RECEIVED]},
            "renamed_vocabularies": {"awareness_topic": TOPICS_VOCABULARY},
            "renamed_fields": {"referral": {"field_complaint_ref": CASE_LINK}},
        },
    ),
    "drc": SiteSpec(
        "drc",
        "DRC",
        "fr",
        2000,
        (
            replace(COMPLAINT, fields=_unix_dates(COMPLAINT.fields) + (OLD_CASE_FIELD,)),
            REFERRAL,
            AWARENESS,
        ),
        VOCABULARIES,
        timezone="America/Port-au-Prince",
        drift={
            "deleted_fields": {"complaint": [OLD_CASE_FIELD.name]},
            "unix_dates": {"complaint": [UNIX_DATE_RECEIVED]},
        },
    ),
    "syria": SiteSpec(
        "syria",
        "SYR",
        "en",
        3000,
        (COMPLAINT, REFERRAL, AWARENESS),
        VOCABULARIES,
        d7_charset="utf8mb4",
        arabic=True,
        drift={"replica_of": "demo"},
    ),
}


def site_spec(name: str) -> SiteSpec:
    """Return the definition of site `name` (one of `SITE_NAMES`)."""
    return SITES[name]
