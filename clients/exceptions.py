"""Domain errors of onboarding, offboarding and tenancy."""

from agency.exceptions import StormdeskError


class TenancyError(StormdeskError):
    """Tenant context is missing or wrong: a programming error, never retried."""

    code = "tenant_context"
    status = 500


class MissingTenantError(TenancyError):
    code = "missing_tenant"


class WrongTenantError(TenancyError):
    code = "wrong_tenant"


class OnboardingError(StormdeskError):
    code = "invalid"
    status = 400


class SlugTakenError(OnboardingError):
    code = "slug_taken"
    status = 409


class ClientNotFoundError(StormdeskError):
    code = "not_found"
    status = 404


class ExportError(StormdeskError):
    code = "export_failed"
    status = 500
