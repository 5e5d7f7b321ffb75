/* sluice-dtl.h — the public face of the `dtl` transform: its error domain and codes.
 *
 * The engine and tests recognise how a DTL transform failed by these codes.  `trip!` is reported
 * in the SDK domain, as SLUICE_ERROR / SLUICE_ERROR_CIRCUIT_BREAKER_TRIP, so that the engine can
 * trip the sink's circuit breaker without knowing about DTL; every other DTL failure uses
 * SLUICE_DTL_ERROR.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SLUICE_DTL_ERROR (sluice_dtl_error_quark ())

typedef enum
{
  SLUICE_DTL_ERROR_COMPILE,     /* the program is invalid (reported when the configuration loads) */
  SLUICE_DTL_ERROR_FAIL,        /* `fail!` ran: the message is the user's */
  SLUICE_DTL_ERROR_ID_REQUIRED, /* id_required and a target or created entity has no string _id */
  SLUICE_DTL_ERROR_UNSUPPORTED, /* a function that this build cannot run was configured */
  SLUICE_DTL_ERROR_LIMIT,       /* nesting of `apply` too deep */
} SluiceDtlError;

/* Same code as SLUICE_ERROR_CIRCUIT_BREAKER_TRIP, in the SLUICE_ERROR domain. */
#define SLUICE_DTL_ERROR_TRIP_DOMAIN SLUICE_ERROR
#define SLUICE_DTL_ERROR_TRIP SLUICE_ERROR_CIRCUIT_BREAKER_TRIP

GQuark sluice_dtl_error_quark (void);

G_END_DECLS
