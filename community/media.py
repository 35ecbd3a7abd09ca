"""Which of the cases' files are private, and who may fetch them (see ``portal.media``).

The same questions the case page asks (``workflow.sees_photo``,
``workflow.sees_in_full``), so a file is served exactly when the page shows it.
"""

from buildings.access import may
from portal.media import private

from .models import Case, CasePhoto, Dispute
from .workflow import sees_in_full, sees_photo


def _sees_case_photo(user, photo: CasePhoto) -> bool:
    return sees_photo(user, photo.case, photo)


def _hears_case_voice(user, case: Case) -> bool:
    """The reporter's own voice: for those who see the case in full, not its followers."""
    return may(user, "community.view_case", case) and sees_in_full(user, case)


private(CasePhoto, ("image", "medium", "thumb"), check=_sees_case_photo,
        related=("case__department", "event"))
private(Case, ("voice",), check=_hears_case_voice, related=("department",))
private(Dispute, ("agreement_file",), permission="community.view_dispute")
