/* http-plugin.c — the descriptor of sluice-http.so: URL and REST systems and the HTTP sources,
 * sinks and transforms (docs/http.md). */
#include "http-elements.h"
#include "http-system.h"

static void
http_plugin_deinit (void)
{
  http_system_registry_clear ();
}

SLUICE_PLUGIN_DEFINE (http, "0.1.0", "MIT",
                      "HTTP systems and clients: system:url, system:rest, json and rest sources "
                      "and sinks, rest and http transforms",
                      NULL, http_plugin_deinit,
                      &http_url_system, &http_rest_system, &http_json_source, &http_json_sink,
                      &http_http_transform, &http_rest_source, &http_rest_sink,
                      &http_rest_transform)
