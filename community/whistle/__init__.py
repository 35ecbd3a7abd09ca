"""吹哨报到 (the whistle): a grid worker summons several departments to one case.

Each summoned department must report in (报到) within a set number of working
hours, with a note; one department leads and gives the result, which the
resident confirms like any other. Reporting in late climbs the same 督办
ladder as an overdue case. The moves are in ``community.workflow.MOVES`` and
every one writes a ``CaseEvent``, like every other step of a case.
"""
