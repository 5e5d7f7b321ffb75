/* sluice-error.h — the SDK's error domain.
 *
 * Plugins report failures as GErrors in SLUICE_ERROR (or a domain of their own).  The codes are
 * extensible: new codes are only ever appended.
 */
#pragma once

#include <glib.h>
#include "sluice-macros.h"

SLUICE_BEGIN_DECLS

#define SLUICE_ERROR (sluice_error_quark ())

typedef enum
{
  SLUICE_ERROR_FAILED,         /* anything not covered below */
  SLUICE_ERROR_INVALID_CONFIG, /* an option value is unusable */
  SLUICE_ERROR_INVALID_DATA,   /* an entity or value is malformed */
  SLUICE_ERROR_PARSE,          /* input text could not be parsed */
  SLUICE_ERROR_IO,             /* reading or writing outside the host failed */
  SLUICE_ERROR_NOT_SUPPORTED,  /* the element cannot do what was asked */
  SLUICE_ERROR_TIMEOUT,        /* a deadline passed */
  SLUICE_ERROR_CANCELLED,      /* the host asked the element to stop */
  /* A transform asked to fail the run and trip the sink dataset's circuit breaker (DTL `trip!`);
   * the message is the user's. */
  SLUICE_ERROR_CIRCUIT_BREAKER_TRIP,
  /* ABI 1.1.  From a sink's begin or begin_at on a resumed full run: the sink cannot continue
   * that full run from its checkpoint; the host starts it over from the beginning. */
  SLUICE_ERROR_RESTART_FULL_RUN,
} SluiceError;

SLUICE_SDK_API GQuark sluice_error_quark (void);

SLUICE_END_DECLS
