"""The brand pages (brand host), one module per page family.

Each is as thin as the API views: a Django form checks what came, the same selectors and
services as the API do the work, a template renders. TenantAccessMiddleware has checked the
person's access before a view runs; a client viewer sees no control that writes, and the
middleware refuses their POSTs anyway.
"""
