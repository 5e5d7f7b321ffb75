/* sluice-http-disposition.c — the Content-Disposition header of a response (RFC 6266) for a file
 * name that may come from the request's path (a publisher's `…/entities/{filename}`).
 *
 * Nothing a client sends may reach a header as raw bytes: a CR or LF there would end the header
 * and start one of the client's choosing (response splitting), on a public pipe even without a
 * token.  So a name that is not UTF-8, or holds a control character, is refused, and every other
 * name is written so that the header is printable ASCII only: a name that is an HTTP token as it
 * is (`filename=all.json`), other printable ASCII quoted (`filename="my letters.json"`), and a
 * name with anything else (non-ASCII, `"`, `\`, or `%`, which some clients decode in `filename`,
 * RFC 6266 appendix D) in `filename*` as percent-encoded UTF-8 (RFC 8187), after a quoted ASCII
 * `filename` in which each such character is `_`, for clients that do not read `filename*`.
 */
#include <string.h>

#include "sluice-http-private.h"

/* RFC 9110 tchar, less '%'. */
static gboolean
is_token_char (gunichar c)
{
  return c < 0x80 && (g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$&'*+-.^_`|~", c) != NULL));
}

/* What a quoted `filename` carries as it is. */
static gboolean
is_plain_char (gunichar c)
{
  return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%';
}

/* RFC 8187 attr-char: what `filename*` carries without percent-encoding. */
static gboolean
is_attr_char (guchar c)
{
  return c < 0x80 && (g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$&+-.^_`|~", c) != NULL));
}

char *
sluice_http_format_disposition (const char *type, const char *filename, const char *what,
                                GError **error)
{
  gboolean token = TRUE, plain = TRUE;
  const char *end;
  GString *out;

  if (!g_utf8_validate (filename, -1, &end))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not valid UTF-8 (byte %" G_GSIZE_FORMAT ")", what,
                   (gsize) (end - filename));
      return NULL;
    }
  for (const char *p = filename; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s contains the control character U+%04X at byte %" G_GSIZE_FORMAT
                       ": a file name is printable text", what, c, (gsize) (p - filename));
          return NULL;
        }
      token = token && is_token_char (c);
      plain = plain && is_plain_char (c);
    }

  out = g_string_new (type);
  if (token)
    g_string_append_printf (out, "; filename=%s", filename);
  else if (plain)
    g_string_append_printf (out, "; filename=\"%s\"", filename);
  else
    {
      g_string_append (out, "; filename=\"");
      for (const char *p = filename; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          g_string_append_c (out, is_plain_char (c) ? (char) c : '_');
        }
      g_string_append (out, "\"; filename*=UTF-8''");
      for (const guchar *p = (const guchar *) filename; *p != '\0'; p++)
        {
          if (is_attr_char (*p))
            g_string_append_c (out, (char) *p);
          else
            g_string_append_printf (out, "%%%02X", *p);
        }
    }
  return g_string_free (out, FALSE);
}
