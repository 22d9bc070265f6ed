"""URLs for benchmarks: the service's, plus an endpoint that only parses a readings batch, the
ceiling the readings API is compared with (same server, same body, same authentication)."""

import json

from django.urls import include, path
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView


class _Bytes(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return json.loads(stream.read())


class ParseOnly(APIView):
    parser_classes = [_Bytes]

    def post(self, request, serial):
        return Response({"parsed": len(request.data["readings"])}, status=202)


urlpatterns = [
    path("bench/parse-only/<str:serial>/", ParseOnly.as_view()),
    path("", include("coldchain.urls")),
]
