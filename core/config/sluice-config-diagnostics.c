/* sluice-config-diagnostics.c — the list of problems found while loading a configuration.
 * The format is described in sluice-config-diagnostics.h and in docs/configuration.md. */
#include "sluice-config-diagnostics.h"

struct _SluiceConfigDiagnostics
{
  GPtrArray *items; /* of SluiceConfigDiagnostic * */
};

static void
diagnostic_free (gpointer data)
{
  SluiceConfigDiagnostic *diagnostic = data;

  g_free (diagnostic->file);
  g_free (diagnostic->component_id);
  g_free (diagnostic->pointer);
  g_free (diagnostic->message);
  g_free (diagnostic);
}

SluiceConfigDiagnostics *
sluice_config_diagnostics_new (void)
{
  SluiceConfigDiagnostics *diagnostics = g_new0 (SluiceConfigDiagnostics, 1);

  diagnostics->items = g_ptr_array_new_with_free_func (diagnostic_free);
  return diagnostics;
}

void
sluice_config_diagnostics_free (SluiceConfigDiagnostics *diagnostics)
{
  if (diagnostics == NULL)
    return;
  g_ptr_array_unref (diagnostics->items);
  g_free (diagnostics);
}

void
sluice_config_diagnostics_add_literal (SluiceConfigDiagnostics *diagnostics, const char *file,
                                       guint line, guint column, const char *component_id,
                                       const char *pointer, const char *message)
{
  SluiceConfigDiagnostic *diagnostic;

  g_return_if_fail (diagnostics != NULL);
  g_return_if_fail (file != NULL);
  g_return_if_fail (message != NULL);

  diagnostic = g_new0 (SluiceConfigDiagnostic, 1);
  diagnostic->file = g_strdup (file);
  diagnostic->line = line;
  diagnostic->column = line > 0 ? column : 0;
  diagnostic->component_id = g_strdup (component_id);
  /* The root pointer "" names the whole component, which the format shows by leaving it out. */
  diagnostic->pointer = (pointer != NULL && *pointer != '\0') ? g_strdup (pointer) : NULL;
  diagnostic->message = g_strdup (message);
  g_ptr_array_add (diagnostics->items, diagnostic);
}

void
sluice_config_diagnostics_add (SluiceConfigDiagnostics *diagnostics, const char *file, guint line,
                               guint column, const char *component_id, const char *pointer,
                               const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sluice_config_diagnostics_add_literal (diagnostics, file, line, column, component_id, pointer,
                                         message);
}

guint
sluice_config_diagnostics_get_length (const SluiceConfigDiagnostics *diagnostics)
{
  return diagnostics->items->len;
}

const SluiceConfigDiagnostic *
sluice_config_diagnostics_get (const SluiceConfigDiagnostics *diagnostics, guint index)
{
  g_return_val_if_fail (index < diagnostics->items->len, NULL);
  return g_ptr_array_index (diagnostics->items, index);
}

guint
sluice_config_diagnostics_count_files (const SluiceConfigDiagnostics *diagnostics)
{
  g_autoptr (GHashTable) files = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < diagnostics->items->len; i++)
    {
      const SluiceConfigDiagnostic *diagnostic = g_ptr_array_index (diagnostics->items, i);

      g_hash_table_add (files, diagnostic->file);
    }
  return g_hash_table_size (files);
}

char *
sluice_config_diagnostic_format (const SluiceConfigDiagnostic *diagnostic)
{
  GString *out = g_string_new (diagnostic->file);

  if (diagnostic->line > 0)
    g_string_append_printf (out, ":%u:%u", diagnostic->line, diagnostic->column);
  if (diagnostic->component_id != NULL)
    g_string_append_printf (out, ": %s", diagnostic->component_id);
  if (diagnostic->pointer != NULL)
    g_string_append_printf (out, ": %s", diagnostic->pointer);
  g_string_append_printf (out, ": %s", diagnostic->message);
  return g_string_free (out, FALSE);
}

char *
sluice_config_diagnostics_format (const SluiceConfigDiagnostics *diagnostics)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < diagnostics->items->len; i++)
    {
      g_autofree char *line = sluice_config_diagnostic_format (g_ptr_array_index (diagnostics->items, i));

      g_string_append (out, line);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

char *
sluice_config_diagnostics_format_summary (const SluiceConfigDiagnostics *diagnostics)
{
  guint errors = diagnostics->items->len;
  guint files = sluice_config_diagnostics_count_files (diagnostics);

  return g_strdup_printf ("%u %s in %u %s", errors, errors == 1 ? "error" : "errors", files,
                          files == 1 ? "file" : "files");
}
