/* sluice-context-private.h — what the SDK's own files read from an element context that plugins do
 * not: the host services attached to it.  Not installed. */
#pragma once

#include "sluice-datasets.h"

const SluiceHostServices *sluice_element_context_get_host (const SluiceElementContext *context);
void *sluice_element_context_get_host_data (const SluiceElementContext *context);
