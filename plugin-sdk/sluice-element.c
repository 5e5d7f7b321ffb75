/* sluice-element.c — element kind names and the component sink that collects pattern expansions. */
#include <string.h>

#include "sluice-element.h"
#include "sluice-error.h"

const char *
sluice_element_kind_get_name (SluiceElementKind kind)
{
  switch (kind)
    {
    case SLUICE_ELEMENT_KIND_SOURCE:
      return "source";
    case SLUICE_ELEMENT_KIND_SINK:
      return "sink";
    case SLUICE_ELEMENT_KIND_TRANSFORM:
      return "transform";
    case SLUICE_ELEMENT_KIND_SYSTEM:
      return "system";
    case SLUICE_ELEMENT_KIND_PATTERN:
      return "pattern";
    default:
      return NULL;
    }
}

struct _SluiceComponentSink
{
  GPtrArray *components; /* of char *, JSON text */
};

SluiceComponentSink *
sluice_component_sink_new (void)
{
  SluiceComponentSink *sink = g_new0 (SluiceComponentSink, 1);

  sink->components = g_ptr_array_new_with_free_func (g_free);
  return sink;
}

void
sluice_component_sink_free (SluiceComponentSink *sink)
{
  if (sink == NULL)
    return;
  g_ptr_array_unref (sink->components);
  g_free (sink);
}

/* A cheap shape check: the host parses and validates the text properly afterwards. */
static gboolean
looks_like_object (const char *json)
{
  const char *end;

  while (g_ascii_isspace (*json))
    json++;
  end = json + strlen (json);
  while (end > json && g_ascii_isspace (end[-1]))
    end--;
  return end - json >= 2 && json[0] == '{' && end[-1] == '}';
}

gboolean
sluice_component_sink_add_json (SluiceComponentSink *sink, const char *json, GError **error)
{
  g_return_val_if_fail (sink != NULL, FALSE);

  if (json == NULL || !looks_like_object (json))
    {
      g_set_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE,
                   "an expanded component must be one JSON object, got: %.40s",
                   json ? json : "(null)");
      return FALSE;
    }
  g_ptr_array_add (sink->components, g_strdup (json));
  return TRUE;
}

size_t
sluice_component_sink_get_length (const SluiceComponentSink *sink)
{
  return sink->components->len;
}

const char *
sluice_component_sink_get_json (const SluiceComponentSink *sink, size_t index)
{
  g_return_val_if_fail (index < sink->components->len, NULL);
  return g_ptr_array_index (sink->components, index);
}
