"""Texts written for someone else, in that person's language.

A notification or an SMS is composed while the *actor* is being served (a
grid worker who reads English dispatches a case), but it is read by the
*recipient* (a grandmother who reads Chinese). So a service passes a lazy
text, and ``portal.services.notify`` turns it into words inside
``translation.override(recipient.language)``::

    notify(recipient=resident, title=later(gettext_lazy("新诉求：%(c)s"), c=case.category))

``gettext_lazy`` keeps the message translatable (makemessages finds it);
``later`` keeps the interpolation lazy too, and turns each value into text
only then, so a category shows its name in the recipient's language.
"""

from __future__ import annotations

from django.utils.functional import lazy


def _interpolate(message, params: dict) -> str:
    # Numbers stay numbers (for %(n)d); everything else becomes its text now,
    # in the active language: a lazy text, a category (its ``label``).
    return str(message) % {k: v if isinstance(v, int | float) else str(v)
                           for k, v in params.items()}


_lazy_interpolate = lazy(_interpolate, str)


def later(message, /, **params):
    """``message % params``, worked out when the text is read (in the reader's language)."""
    return _lazy_interpolate(message, params)
