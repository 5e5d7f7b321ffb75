/* sluice-http-status.c — the HTTP status of a control or push error (sluice-http-status.h). */
#include "sluice-http-status.h"

#include "sluice-control-push.h"

static const guint control_statuses[] = {
  [SLUICE_CONTROL_ERROR_FAILED] = 500,
  [SLUICE_CONTROL_ERROR_NOT_FOUND] = 404,
  [SLUICE_CONTROL_ERROR_INVALID_ARGUMENT] = 400,
  [SLUICE_CONTROL_ERROR_BUSY] = 409,
  [SLUICE_CONTROL_ERROR_OFF] = 409,
  [SLUICE_CONTROL_ERROR_NOT_SUPPORTED] = 409,
  [SLUICE_CONTROL_ERROR_REFUSED] = 409,
  [SLUICE_CONTROL_ERROR_INVALID_CONFIG] = 400,
  [SLUICE_CONTROL_ERROR_SHUTTING_DOWN] = 503,
};

static const guint push_statuses[] = {
  [SLUICE_PUSH_ERROR_FAILED] = 500,    [SLUICE_PUSH_ERROR_INVALID] = 400,
  [SLUICE_PUSH_ERROR_CONFLICT] = 409,  [SLUICE_PUSH_ERROR_CONFLICT_BROKEN] = 409,
  [SLUICE_PUSH_ERROR_NOT_FOUND] = 404, [SLUICE_PUSH_ERROR_NOT_RECEIVER] = 404,
};

static guint
lookup (const guint *statuses, gsize n_statuses, gint code)
{
  if (code < 0 || (gsize)code >= n_statuses || statuses[code] == 0)
    return 500;
  return statuses[code];
}

guint
sluice_http_error_status (const GError *error)
{
  if (error == NULL)
    return 500;
  if (error->domain == SLUICE_CONTROL_ERROR)
    return lookup (control_statuses, G_N_ELEMENTS (control_statuses), error->code);
  if (error->domain == SLUICE_PUSH_ERROR)
    return lookup (push_statuses, G_N_ELEMENTS (push_statuses), error->code);
  return 500;
}
