"""What OPTIONS answers on every API endpoint (DEFAULT_METADATA_CLASS).

Loaded by DRF while `rest_framework.views` is being imported: import no DRF views here.
"""

from __future__ import annotations

from typing import Any

from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request


class Metadata(SimpleMetadata):
    """DRF's description of the view, with the fields of its request body only where the view
    has a serializer: DRF's own assumes every generic view has one, and answers 500 otherwise."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        from rest_framework.generics import GenericAPIView

        declares = getattr(view, "serializer_class", None) is not None or (
            getattr(type(view), "get_serializer_class", None)
            is not GenericAPIView.get_serializer_class
        )
        if not declares:
            return {}
        return dict(super().determine_actions(request, view))
