/* sluicectl-output.c — tables, JSON and the formatting of values for sluicectl's output. */
#include "sluicectl-output.h"

#include <json-glib/json-glib.h>

struct _SluicectlTable
{
  guint n_columns;
  GPtrArray *cells; /* row-major, the headings first; char * */
};

SluicectlTable *
sluicectl_table_new (const char *first_heading, ...)
{
  SluicectlTable *table = g_new0 (SluicectlTable, 1);
  va_list args;

  table->cells = g_ptr_array_new_with_free_func (g_free);
  va_start (args, first_heading);
  for (const char *heading = first_heading; heading != NULL; heading = va_arg (args, const char *))
    {
      g_ptr_array_add (table->cells, g_strdup (heading));
      table->n_columns++;
    }
  va_end (args);
  return table;
}

void
sluicectl_table_add_row (SluicectlTable *table, const char *first_cell, ...)
{
  va_list args;
  const char *cell = first_cell;

  va_start (args, first_cell);
  for (guint i = 0; i < table->n_columns; i++)
    {
      g_ptr_array_add (table->cells, g_strdup (cell != NULL ? cell : "-"));
      if (i + 1 < table->n_columns)
        cell = va_arg (args, const char *);
    }
  va_end (args);
}

void
sluicectl_table_print (SluicectlTable *table, FILE *out)
{
  g_autofree glong *widths = g_new0 (glong, table->n_columns);

  for (guint i = 0; i < table->cells->len; i++)
    {
      glong width = g_utf8_strlen (g_ptr_array_index (table->cells, i), -1);
      guint column = i % table->n_columns;

      widths[column] = MAX (widths[column], width);
    }
  for (guint i = 0; i < table->cells->len; i++)
    {
      const char *cell = g_ptr_array_index (table->cells, i);
      guint column = i % table->n_columns;

      fputs (cell, out);
      if (column + 1 == table->n_columns)
        fputc ('\n', out);
      else
        fprintf (out, "%*s", (int)(widths[column] - g_utf8_strlen (cell, -1) + 2), "");
    }
}

void
sluicectl_table_free (SluicectlTable *table)
{
  g_ptr_array_unref (table->cells);
  g_free (table);
}

void
sluicectl_print_variant_json (GVariant *value, FILE *out)
{
  g_autoptr (JsonNode) node = json_gvariant_serialize (value);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  fprintf (out, "%s\n", text);
}

void
sluicectl_print_json_text (const char *json, FILE *out)
{
  fputs (json, out);
  if (json[0] == '\0' || json[strlen (json) - 1] != '\n')
    fputc ('\n', out);
}

char *
sluicectl_format_time (gint64 us)
{
  g_autoptr (GDateTime) time = NULL;

  if (us < 0)
    return g_strdup ("-");
  time = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  if (time == NULL)
    return g_strdup ("-");
  return g_date_time_format (time, "%Y-%m-%d %H:%M:%SZ");
}

char *
sluicectl_format_duration (gint64 us)
{
  gint64 s = us / G_USEC_PER_SEC;

  if (s < 60)
    return g_strdup_printf ("%.2f s", (double)us / G_USEC_PER_SEC);
  if (s < 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %02" G_GINT64_FORMAT " s", s / 60, s % 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " h %02" G_GINT64_FORMAT " min", s / 3600,
                          (s % 3600) / 60);
}
