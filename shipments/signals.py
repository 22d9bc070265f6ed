"""What the logistics core announces. ``alerts`` subscribes; shipments never imports alerts.

``excursions_changed`` is sent after the evaluating transaction commits, with
``shipment_id`` and ``changes``: a list of ``(event, excursion_id)`` where event is one of
``raised``, ``updated``, ``closed``, ``withdrawn``.
"""

from django.dispatch import Signal

excursions_changed = Signal()
