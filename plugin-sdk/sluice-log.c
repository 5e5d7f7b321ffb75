/* sluice-log.c — structured logging for plugins, tagged with plugin, element and component. */
#include "sluice-log.h"

void
sluice_log (const SluiceElementContext *context, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (context != NULL)
    {
      const char *plugin = sluice_element_context_get_plugin_name (context);
      const char *element = sluice_element_context_get_element_type (context);
      const char *component = sluice_element_context_get_component_id (context);

      g_log_structured ("sluice-plugin", level,
                        "SLUICE_PLUGIN", "%s", plugin ? plugin : "",
                        "SLUICE_ELEMENT", "%s", element ? element : "",
                        "SLUICE_COMPONENT", "%s", component ? component : "",
                        "MESSAGE", "%s%s%s: %s", component ? component : "",
                        component ? " " : "", element ? element : "", message);
    }
  else
    g_log_structured ("sluice-plugin", level, "MESSAGE", "%s", message);
}
