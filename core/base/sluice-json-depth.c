/* sluice-json-depth.c — the nesting bound of sluice-json-depth.h.
 *
 * The scan must never count fewer levels than json-glib would go down into, whatever the text.
 * On standard JSON both read strings alike ("…" with backslash escapes) and so count the same
 * brackets.  json-glib also reads two things JSON has not: '…' strings and comments (where it
 * ends them differently from C).  A quote inside one of those could make the two disagree on
 * where a string ends and hide brackets from the count; so from the first ' or / outside a
 * string on, the scan counts every bracket that opens, in strings or not, and none that closes:
 * more than json-glib can go down into, never less.
 */
#include <string.h>

#include "sluice-json-depth.h"
#include "sluice-json.h"

gboolean
sluice_json_check_depth (const char *text, gssize len, GError **error)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  gboolean in_string = FALSE;
  gboolean standard = TRUE;
  guint depth = 0;

  for (gsize i = 0; i < n; i++)
    {
      char c = text[i];

      if (in_string && standard)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '\'' || c == '/')
        standard = FALSE;
      else if (c == '[' || c == '{')
        {
          if (++depth > SLUICE_JSON_MAX_DEPTH)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "byte %" G_GSIZE_FORMAT ": nesting deeper than %d levels", i,
                           SLUICE_JSON_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && standard && depth > 0)
        depth--;
    }
  return TRUE;
}
