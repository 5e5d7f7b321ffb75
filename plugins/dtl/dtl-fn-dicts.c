/* dtl-fn-dicts.c — dictionaries, the `path` function and `apply` (digest §11.7 "Dictionaries").
 * The functions that read other datasets (`hops`, `apply-hops`, `lookup-entity`) are listed here
 * so that configuring them is a clear load-time error until joins are implemented. */
#include "dtl-compiler.h"

#include <string.h>

static void
dict_add_pair (SluiceDictBuilder *builder, SluiceValue *pair)
{
  SluiceValue *key;

  if (dtl_kind (pair) != SLUICE_VALUE_LIST || sluice_value_list_get_length (pair) != 2)
    return;
  key = sluice_value_list_get (pair, 0);
  if (dtl_kind (key) != SLUICE_VALUE_STRING)
    return;
  sluice_dict_builder_add (builder, sluice_value_get_string (key, NULL), sluice_value_list_get (pair, 1));
}

static SluiceValue *
fn_dict (DtlEval *ev, const DtlNode *node)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  if (node->n_args == 1)
    {
      g_autoptr (SluiceValue) items = dtl_eval (ev, node->args[0]);

      if (dtl_kind (items) == SLUICE_VALUE_DICT)
        {
          sluice_dict_builder_free (builder);
          return g_steal_pointer (&items);
        }
      if (dtl_kind (items) == SLUICE_VALUE_LIST && sluice_value_list_get_length (items) == 2
          && dtl_kind (sluice_value_list_get (items, 0)) == SLUICE_VALUE_STRING)
        dict_add_pair (builder, items);
      else
        for (size_t i = 0; i < dtl_count (items); i++)
          dict_add_pair (builder, dtl_at (items, i));
      return sluice_dict_builder_end (builder);
    }
  for (guint i = 0; i + 1 < node->n_args; i += 2)
    {
      g_autoptr (SluiceValue) key = dtl_eval (ev, node->args[i]);
      SluiceValue *value = dtl_eval (ev, node->args[i + 1]);

      if (dtl_kind (key) == SLUICE_VALUE_STRING)
        sluice_dict_builder_take (builder, sluice_value_get_string (key, NULL), value);
      else
        sluice_value_unref (value);
    }
  return sluice_dict_builder_end (builder);
}

static gboolean
compile_dict (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
              GError **error)
{
  size_t n = sluice_value_list_get_length (call) - 1;

  if (n > 1 && n % 2 != 0)
    {
      g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE,
                   "%s: 'dict' takes no arguments, one list of [key, value] pairs, or key/value "
                   "pairs, got %zu arguments",
                   pointer, n);
      return FALSE;
    }
  return sluice_dtl_compile_args (compiler, node, call, pointer, 0, error);
}

static SluiceValue *
fn_has_key (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) key = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  SluiceValue *first = dtl_first (v);

  if (dtl_kind (first) != SLUICE_VALUE_DICT || dtl_kind (key) != SLUICE_VALUE_STRING)
    return dtl_null ();
  return dtl_bool (sluice_value_dict_lookup (first, sluice_value_get_string (key, NULL)) != NULL);
}

static SluiceValue *
fn_is_dict (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (dtl_first (v)) == SLUICE_VALUE_DICT);
}

typedef enum
{
  PART_ITEMS,
  PART_KEY_VALUES,
  PART_KEYS,
  PART_VALUES,
} Part;

static SluiceValue *
dict_parts (DtlEval *ev, const DtlNode *node, Part part)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  SluiceListBuilder *builder = sluice_list_builder_new ();
  size_t produced = 0;

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *d = dtl_at (v, i);

      if (dtl_kind (d) != SLUICE_VALUE_DICT)
        continue;
      for (size_t j = 0; j < sluice_value_dict_get_size (d); j++)
        {
          const char *k = sluice_value_dict_get_key (d, j);
          SluiceValue *val = sluice_value_dict_get_value (d, j);

          produced++;
          switch (part)
            {
            case PART_ITEMS:
              {
                SluiceListBuilder *pair = sluice_list_builder_new ();

                sluice_list_builder_take (pair, sluice_value_new_string (k, -1));
                sluice_list_builder_add (pair, val);
                sluice_list_builder_take (builder, sluice_list_builder_end (pair));
              }
              break;
            case PART_KEY_VALUES:
              {
                SluiceDictBuilder *kv = sluice_dict_builder_new ();

                sluice_dict_builder_take (kv, "key", sluice_value_new_string (k, -1));
                sluice_dict_builder_add (kv, "value", val);
                sluice_list_builder_take (builder, sluice_dict_builder_end (kv));
              }
              break;
            case PART_KEYS:
              sluice_list_builder_take (builder, sluice_value_new_string (k, -1));
              break;
            case PART_VALUES:
              sluice_list_builder_add (builder, val);
              break;
            }
        }
    }
  /* key-values of a single one-key dict is that one dict. */
  if (part == PART_KEY_VALUES && dtl_kind (v) == SLUICE_VALUE_DICT && produced == 1)
    {
      g_autoptr (SluiceValue) list = sluice_list_builder_end (builder);

      return sluice_value_ref (sluice_value_list_get (list, 0));
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *fn_items (DtlEval *ev, const DtlNode *node) { return dict_parts (ev, node, PART_ITEMS); }
static SluiceValue *fn_key_values (DtlEval *ev, const DtlNode *node) { return dict_parts (ev, node, PART_KEY_VALUES); }
static SluiceValue *fn_keys (DtlEval *ev, const DtlNode *node) { return dict_parts (ev, node, PART_KEYS); }
static SluiceValue *fn_values (DtlEval *ev, const DtlNode *node) { return dict_parts (ev, node, PART_VALUES); }

static SluiceValue *
fn_path (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) spec = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  g_autoptr (GPtrArray) steps = g_ptr_array_new ();

  for (size_t i = 0; i < dtl_count (spec); i++)
    {
      const char *s = dtl_string (dtl_at (spec, i), NULL);

      if (s != NULL)
        g_ptr_array_add (steps, (gpointer) s);
    }
  if (steps->len == 0)
    return g_steal_pointer (&v);
  if (ev->program->namespaced)
    return sluice_dtl_path_walk_ns (v, (char *const *) steps->pdata, steps->len,
                                    ev->program->property_ns);
  return sluice_dtl_path_walk (v, (char *const *) steps->pdata, steps->len,
                               dtl_kind (v) == SLUICE_VALUE_LIST);
}

static gboolean
compile_apply (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
               GError **error)
{
  SluiceValue *name = sluice_value_list_get (call, 1);
  g_autofree char *p = g_strdup_printf ("%s/1", pointer);

  if (dtl_kind (name) != SLUICE_VALUE_STRING)
    {
      g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE,
                   "%s: expected the name of a rule, got %s", p,
                   sluice_value_kind_get_name (dtl_kind (name)));
      return FALSE;
    }
  node->data = sluice_dtl_compiler_find_rule (compiler, sluice_value_get_string (name, NULL), p, error);
  if (node->data == NULL)
    return FALSE;
  return sluice_dtl_compile_args (compiler, node, call, pointer, 1, error);
}

static SluiceValue *
apply_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  if (dtl_kind (item) != SLUICE_VALUE_DICT)
    return NULL;
  return sluice_dtl_apply_rule (ev, node->data, item);
}

static SluiceValue *
fn_apply (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);

  return sluice_dtl_map (ev, node, v, apply_one, NULL);
}

#define JOINS_REASON "joins across datasets come with a later release; until then a pipe that uses them cannot be loaded"

const DtlFunction sluice_dtl_fn_dicts[] = {
  { "dict", 0, DTL_ARGS_UNLIMITED, 0, fn_dict, NULL, compile_dict },
  { "has-key", 2, 2, 0, fn_has_key },
  { "is-dict", 1, 1, 0, fn_is_dict },
  { "items", 1, 1, 0, fn_items },
  { "key-values", 1, 1, 0, fn_key_values },
  { "keys", 1, 1, 0, fn_keys },
  { "values", 1, 1, 0, fn_values },
  { "path", 2, 2, 0, fn_path },
  { "apply", 2, 2, 0, fn_apply, NULL, compile_apply },
  { "apply-hops", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, JOINS_REASON },
  { "hops", 1, DTL_ARGS_UNLIMITED, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, JOINS_REASON },
  { "lookup-entity", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, JOINS_REASON },
  { NULL },
};
