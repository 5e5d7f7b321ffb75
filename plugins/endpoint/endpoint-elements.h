/* endpoint-elements.h — the element descriptors of the `endpoint` plugin (sluice-endpoint.so): the
 * `http_endpoint` source and sink (digest §8.12, §9.6, docs/http-endpoints.md). */
#pragma once

#include <sluice-plugin-sdk.h>

extern const SluiceElementDescriptor endpoint_source;
extern const SluiceElementDescriptor endpoint_sink;
