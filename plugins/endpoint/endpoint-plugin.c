/* endpoint-plugin.c — the descriptor of sluice-endpoint.so: the `http_endpoint` source and sink. */
#include "endpoint-elements.h"

SLUICE_PLUGIN_DEFINE (endpoint, "0.1.0", "MIT",
                      "HTTP endpoints: the http_endpoint source (JSON push receiver) and sink "
                      "(JSON pull publisher)",
                      NULL, NULL, &endpoint_source, &endpoint_sink)
