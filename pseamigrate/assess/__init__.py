"""Pre-migration assessment (#14): what a migration of each legacy site will meet, before the run.

`assess_sites(settings, names)` reads each site through the reader and returns an `Assessment`:
per site, findings with a severity (blocker / warning / info), a count, the ids involved (never
values) and what the migration does about it under the site's mapping; across sites, the people
who have accounts on several of them. See docs/assess.md.
"""

from pseamigrate.assess.findings import Assessment, Finding, SiteAssessment
from pseamigrate.assess.run import assess_sites

__all__ = ["Assessment", "Finding", "SiteAssessment", "assess_sites"]
