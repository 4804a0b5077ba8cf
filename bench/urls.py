"""The product's URLs plus ``/bench/bare``: the web ceiling the API is compared with.

The bare view goes through the same WSGI server and middleware stack as every page, but does no
authentication, no query and no serializer: what a Django JSON answer costs on this machine.
"""

from django.http import JsonResponse
from django.urls import path

from tikmatrix_site import urls as product

BARE_PAYLOAD = {"code": 0, "message": "success", "data": {"ok": True, "items": list(range(20))}}


def bare(request):
    return JsonResponse(BARE_PAYLOAD)


urlpatterns = [path("bench/bare", bare), *product.urlpatterns]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
