/* basic-elements.h — the element descriptors of the `basic` plugin (sluice-basic.so): small, static
 * sources and sinks that need no external system: `embedded`, `empty` and `null`. */
#pragma once

#include <sluice-plugin-sdk.h>

/* The options every source shares (SOURCE_COMMON_OPTIONS), also used by the `file` source. */
#include "../common/source-common.h"

extern const SluiceElementDescriptor basic_embedded_source;
extern const SluiceElementDescriptor basic_empty_source;
extern const SluiceElementDescriptor basic_null_sink;
