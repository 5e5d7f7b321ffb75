/* bench-codec-others.c — yajl and json-c parse loops for bench-codec (see bench-codec-others.h). */
#include <glib.h>
#include <string.h>

#include "bench-codec-others.h"

#ifdef HAVE_YAJL
#include <yajl/yajl_tree.h>

double
bench_parse_yajl (const char *text, size_t len)
{
  const char *p = text, *end = text + len;
  GString *line = g_string_new (NULL);
  gint64 t0 = g_get_monotonic_time ();

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      char errbuf[128];
      yajl_val v;

      /* yajl_tree_parse () wants a NUL-terminated text. */
      g_string_truncate (line, 0);
      g_string_append_len (line, p, (gssize) n);
      p += n + 1;
      if (n == 0)
        continue;
      v = yajl_tree_parse (line->str, errbuf, sizeof errbuf);
      if (v == NULL)
        g_error ("yajl: %s", errbuf);
      yajl_tree_free (v);
    }
  g_string_free (line, TRUE);
  return (g_get_monotonic_time () - t0) / 1e6;
}
#endif

#ifdef HAVE_JSON_C
#include <json-c/json.h>

double
bench_parse_json_c (const char *text, size_t len)
{
  const char *p = text, *end = text + len;
  json_tokener *tok = json_tokener_new ();
  gint64 t0 = g_get_monotonic_time ();

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      json_object *o;

      if (n > 0)
        {
          json_tokener_reset (tok);
          o = json_tokener_parse_ex (tok, p, (int) n);
          if (o == NULL)
            g_error ("json-c: parse failed");
          json_object_put (o);
        }
      p += n + 1;
    }
  json_tokener_free (tok);
  return (g_get_monotonic_time () - t0) / 1e6;
}
#endif
