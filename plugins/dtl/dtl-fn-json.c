/* dtl-fn-json.c — JSON text to and from values (digest §11.7 "JSON").  The text form is that of
 * Python's json.dumps with sorted keys, which is what the documentation shows. */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
json_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  g_autoptr (GString) out = g_string_new (NULL);

  sluice_dtl_write_json (out, item, GPOINTER_TO_INT (data));
  return sluice_value_new_string (out->str, out->len);
}

static SluiceValue *
json_common (DtlEval *ev, const DtlNode *node, gboolean transit)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_dtl_map (ev, node, v, json_one, GINT_TO_POINTER (transit));
}

static SluiceValue *fn_json (DtlEval *ev, const DtlNode *node) { return json_common (ev, node, FALSE); }
static SluiceValue *fn_json_transit (DtlEval *ev, const DtlNode *node) { return json_common (ev, node, TRUE); }

/* The SDK parser always decodes transit strings; `json-parse` must not, so typed values it made
 * are turned back into the strings they came from. */
static SluiceValue *
untransit (SluiceValue *v)
{
  switch (dtl_kind (v))
    {
    case SLUICE_VALUE_LIST:
      {
        SluiceListBuilder *b = sluice_list_builder_new ();

        for (size_t i = 0; i < sluice_value_list_get_length (v); i++)
          sluice_list_builder_take (b, untransit (sluice_value_list_get (v, i)));
        return sluice_list_builder_end (b);
      }
    case SLUICE_VALUE_DICT:
      {
        SluiceDictBuilder *b = sluice_dict_builder_new ();

        for (size_t i = 0; i < sluice_value_dict_get_size (v); i++)
          sluice_dict_builder_take (b, sluice_value_dict_get_key (v, i),
                                    untransit (sluice_value_dict_get_value (v, i)));
        return sluice_dict_builder_end (b);
      }
    case SLUICE_VALUE_DATETIME:
    case SLUICE_VALUE_NI:
    case SLUICE_VALUE_URI:
    case SLUICE_VALUE_BYTES:
    case SLUICE_VALUE_UUID:
    case SLUICE_VALUE_DECIMAL:
      {
        g_autofree char *json = sluice_value_to_json (v);

        if (json[0] != '"') /* a big integer, written bare */
          return sluice_value_ref (v);
        return sluice_value_new_string (json + 1, strlen (json) - 2);
      }
    default:
      return sluice_value_ref (v);
    }
}

static SluiceValue *
parse_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  size_t len;
  const char *s = dtl_string (item, &len);
  g_autoptr (SluiceValue) parsed = NULL;

  if (s == NULL)
    return NULL;
  parsed = sluice_value_from_json (s, (gssize) len, NULL);
  if (parsed == NULL)
    return NULL;
  return GPOINTER_TO_INT (data) ? g_steal_pointer (&parsed) : untransit (parsed);
}

static SluiceValue *
fn_json_parse (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, parse_one, GINT_TO_POINTER (FALSE));
}

static SluiceValue *
fn_json_transit_parse (DtlEval *ev, const DtlNode *node)
{
  return sluice_dtl_cast (ev, node, parse_one, GINT_TO_POINTER (TRUE));
}

const DtlFunction sluice_dtl_fn_json[] = {
  { "json", 1, 1, 0, fn_json },
  { "json-transit", 1, 1, 0, fn_json_transit },
  { "json-parse", 1, 2, 0, fn_json_parse },
  { "json-transit-parse", 1, 2, 0, fn_json_transit_parse },
  { NULL },
};
