/* sluice-flow.h — the result codes of data-path callbacks.
 *
 * Data-path callbacks (read a batch, transform a batch, write a batch) return one of these instead of
 * a gboolean, so that "no more data" and "try again later" are not confused with failure.  On
 * SLUICE_FLOW_ERROR and SLUICE_FLOW_RETRY the callback also sets its GError.
 */
#pragma once

#include <stdint.h>
#include "sluice-macros.h"

SLUICE_BEGIN_DECLS

/* A fixed-width integer, never a C enum, wherever it crosses the ABI. */
typedef int32_t SluiceFlow;

#define SLUICE_FLOW_OK 0     /* the call did its work; call again for more */
#define SLUICE_FLOW_EOS 1    /* end of stream: the source has nothing more in this run */
#define SLUICE_FLOW_RETRY -1 /* a transient failure: the host may retry after a delay */
#define SLUICE_FLOW_ERROR -2 /* a permanent failure: the run fails */

SLUICE_SDK_API const char *sluice_flow_get_name (SluiceFlow flow);

SLUICE_END_DECLS
