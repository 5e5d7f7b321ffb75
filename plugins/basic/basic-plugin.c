/* basic-plugin.c — the descriptor of sluice-basic.so: the embedded and empty sources and the null
 * sink. */
#include "basic-elements.h"

SLUICE_PLUGIN_DEFINE (basic, "0.1.0", "MIT",
                      "Sources and sinks that need no external system: embedded, empty, null",
                      NULL, NULL,
                      &basic_embedded_source, &basic_empty_source, &basic_null_sink)
