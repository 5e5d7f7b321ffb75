/* sluice-log.c — structured logging for plugins, tagged with plugin, element and component. */
#include "sluice-log.h"

/* The syslog priority journald expects, as g_log_structured () would have set it. */
static const char *
priority_of (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

void
sluice_log (const SluiceElementContext *context, GLogLevelFlags level, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;
  const char *plugin = NULL;
  const char *element = NULL;
  const char *component = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (context != NULL)
    {
      plugin = sluice_element_context_get_plugin_name (context);
      element = sluice_element_context_get_element_type (context);
      component = sluice_element_context_get_component_id (context);
    }
  /* "<component> <element>: message", so that a plain-text log still says where it came from. */
  if (component != NULL || element != NULL)
    text = g_strdup_printf ("%s%s%s: %s", component ? component : "", component && element ? " " : "",
                            element ? element : "", message);

  {
    /* Only MESSAGE may be a format in g_log_structured (); the tags go in as plain fields. */
    const GLogField fields[] = {
      { "GLIB_DOMAIN", "sluice-plugin", -1 },
      { "PRIORITY", priority_of (level), -1 },
      { "MESSAGE", text ? text : message, -1 },
      { "SLUICE_PLUGIN", plugin ? plugin : "", -1 },
      { "SLUICE_ELEMENT", element ? element : "", -1 },
      { "SLUICE_COMPONENT", component ? component : "", -1 },
    };

    g_log_structured_array (level, fields, G_N_ELEMENTS (fields));
  }
}
