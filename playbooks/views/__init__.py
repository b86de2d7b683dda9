"""The incident pages (brand host): as thin as the API views (playbooks.api). A Django form
checks what came, the same reads and services as the API do the work, a template renders. A
client viewer reads incidents and sees no control; TenantAccessMiddleware refuses their POSTs
and the views refuse them again."""
