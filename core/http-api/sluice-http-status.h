/* sluice-http-status.h — the HTTP status of every error the HTTP API answers with a GError: the
 * codes of the control API (sluice-control.h) and of the JSON push protocol
 * (sluice-push-sequence.h).
 *
 * The tables are the adapter's: the control API and the receivers name what went wrong, and only
 * here does that become a status (docs/control.md lists the control's, docs/http-endpoints.md the
 * receivers').
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SLUICE_CONTROL_ERROR: 500, 404, 400, 409, 409, 409, 409, 400, 503 in the order of
 * SluiceControlError.  SLUICE_PUSH_ERROR: 500, 400, 409, 409, 404, 404 in the order of
 * SluicePushError.  500 for any other error. */
guint sluice_http_error_status (const GError *error);

G_END_DECLS
