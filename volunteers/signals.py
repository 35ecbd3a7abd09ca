"""Signals other apps listen to.

``task_finished`` is sent after the transaction that finished a task from a
case commits, with ``task``, ``case_id``, ``actor`` and ``summary``: the cases
app records the result on the case.
"""

from django.dispatch import Signal

task_finished = Signal()
