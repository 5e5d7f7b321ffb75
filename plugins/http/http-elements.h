/* http-elements.h — the element descriptors of the `http` plugin (sluice-http.so): the URL and
 * REST systems, the json and rest sources, the json and rest sinks, and the rest and http
 * transforms (docs/http.md). */
#pragma once

#include <sluice-plugin-sdk.h>

/* The continuation and emptiness options every source shares. */
#include "../common/source-common.h"

extern const SluiceElementDescriptor http_url_system;
extern const SluiceElementDescriptor http_rest_system;
extern const SluiceElementDescriptor http_json_source;
extern const SluiceElementDescriptor http_json_sink;
extern const SluiceElementDescriptor http_http_transform;
extern const SluiceElementDescriptor http_rest_source;
extern const SluiceElementDescriptor http_rest_sink;
extern const SluiceElementDescriptor http_rest_transform;
