/* dtl-transforms.c — the transform functions of digest §11.6: they change `_T`, emit entities
 * or stop the rule, and return a DTL_STATUS_*. */
#include "dtl-compiler.h"
#include "dtl-ns.h"

#include <string.h>

static DtlTarget *
target_of (DtlEval *ev)
{
  return ev->scope->target;
}

/* The property-name argument of add/add-if/default: computed once when it is a constant. */
static gboolean
compile_property_first (DtlCompiler *compiler, DtlNode *node, SluiceValue *call,
                        const char *pointer, GError **error)
{
  if (!sluice_dtl_compile_args (compiler, node, call, pointer, 0, error))
    return FALSE;
  if (node->args[0]->constant != NULL && dtl_kind (node->args[0]->constant) == SLUICE_VALUE_STRING)
    {
      node->data = sluice_dtl_ns_property_key (sluice_dtl_compiler_get_program (compiler),
                                               sluice_value_get_string (node->args[0]->constant, NULL));
      node->data_free = g_free;
    }
  return TRUE;
}

/* The key named by args[0]: NULL when it is not a string. */
static char *
property_key (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) name = NULL;

  if (node->data != NULL)
    return g_strdup (node->data);
  name = dtl_eval (ev, node->args[0]);
  if (dtl_kind (name) != SLUICE_VALUE_STRING)
    return NULL;
  return sluice_dtl_ns_property_key (ev->program, sluice_value_get_string (name, NULL));
}

static void
set_property (DtlEval *ev, const char *key, SluiceValue *value)
{
  if (ev->program->namespaced && strcmp (key, "_id") == 0)
    {
      SluiceValue *id = sluice_dtl_ns_id_value (ev->program, value);

      sluice_value_unref (value);
      value = id;
    }
  sluice_dtl_target_set (target_of (ev), key, value);
}

static int
exec_add (DtlEval *ev, const DtlNode *node)
{
  SluiceValue *value;

  if (node->data != NULL)
    {
      value = dtl_eval (ev, node->args[1]);
      if (G_LIKELY (!ev->program->namespaced))
        sluice_dtl_target_set_compiled (target_of (ev), node->data, value);
      else
        set_property (ev, node->data, value);
    }
  else
    {
      g_autofree char *key = property_key (ev, node);

      if (key == NULL)
        return DTL_STATUS_CONTINUE;
      set_property (ev, key, dtl_eval (ev, node->args[1]));
    }
  return DTL_STATUS_CONTINUE;
}

static int
exec_add_if (DtlEval *ev, const DtlNode *node)
{
  g_autofree char *key = property_key (ev, node);
  SluiceValue *value;
  gboolean add;

  if (key == NULL)
    return DTL_STATUS_CONTINUE;
  value = dtl_eval (ev, node->args[node->n_args - 1]);
  /* The documented default keeps [] and [null]: only a plain null is left out. */
  if (node->n_args == 2)
    add = dtl_kind (value) != SLUICE_VALUE_NULL;
  else
    add = sluice_dtl_test_with (ev, node->args[1], value);
  if (add)
    set_property (ev, key, value);
  else
    sluice_value_unref (value);
  return DTL_STATUS_CONTINUE;
}

static int
exec_default (DtlEval *ev, const DtlNode *node)
{
  g_autofree char *key = property_key (ev, node);

  if (key == NULL || sluice_dtl_target_lookup (target_of (ev), key) != NULL)
    return DTL_STATUS_CONTINUE;
  set_property (ev, key, dtl_eval (ev, node->args[1]));
  return DTL_STATUS_CONTINUE;
}

/* case: (CONDITION, THEN)+, ELSE?; case-eq: VALUE, (VALUE_N, THEN)+, ELSE?.  Conditions are
 * expressions, the branches blocks. */
static gboolean
compile_branches (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                  guint first, GError **error)
{
  guint n = (guint) sluice_value_list_get_length (call) - 1;

  node->n_args = n;
  node->args = g_new0 (DtlNode *, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *p = g_strdup_printf ("%s/%u", pointer, i + 1);
      SluiceValue *arg = sluice_value_list_get (call, i + 1);
      gboolean is_branch = i >= first && ((i - first) % 2 == 1 || i == n - 1);

      node->args[i] = is_branch ? sluice_dtl_compile_block (compiler, arg, p, error)
                                : sluice_dtl_compile_expr (compiler, arg, p, error);
      if (node->args[i] == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
compile_case (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
              GError **error)
{
  return compile_branches (compiler, node, call, pointer, 0, error);
}

static gboolean
compile_case_eq (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                 GError **error)
{
  return compile_branches (compiler, node, call, pointer, 1, error);
}

static gboolean
compile_if (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
            GError **error)
{
  return compile_branches (compiler, node, call, pointer, 0, error);
}

static int
exec_if (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) cond = dtl_eval (ev, node->args[0]);

  if (sluice_dtl_truthy (cond))
    return node->args[1]->exec (ev, node->args[1]);
  if (node->n_args == 3)
    return node->args[2]->exec (ev, node->args[2]);
  return DTL_STATUS_CONTINUE;
}

static int
exec_case (DtlEval *ev, const DtlNode *node)
{
  guint i;

  for (i = 0; i + 1 < node->n_args; i += 2)
    {
      g_autoptr (SluiceValue) cond = dtl_eval (ev, node->args[i]);

      if (sluice_dtl_truthy (cond))
        return node->args[i + 1]->exec (ev, node->args[i + 1]);
    }
  if (i < node->n_args)
    return node->args[i]->exec (ev, node->args[i]);
  return DTL_STATUS_CONTINUE;
}




static int
exec_case_eq (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) value = dtl_eval (ev, node->args[0]);
  guint i;

  for (i = 1; i + 1 < node->n_args; i += 2)
    {
      g_autoptr (SluiceValue) candidate = dtl_eval (ev, node->args[i]);

      if (sluice_dtl_values_eq (value, candidate))
        return node->args[i + 1]->exec (ev, node->args[i + 1]);
    }
  if (i < node->n_args)
    return node->args[i]->exec (ev, node->args[i]);
  return DTL_STATUS_CONTINUE;
}

static gboolean
compile_comment (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
                 GError **error)
{
  return TRUE;
}

static int
exec_comment (DtlEval *ev, const DtlNode *node)
{
  return DTL_STATUS_CONTINUE;
}

/* Collects the strings of a wildcard-string-list argument. */
static GPtrArray *
patterns_of (SluiceValue *v)
{
  GPtrArray *out = g_ptr_array_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);

      if (dtl_kind (item) == SLUICE_VALUE_STRING)
        g_ptr_array_add (out, (gpointer) sluice_value_get_string (item, NULL));
    }
  return out;
}

static gboolean
any_matches (const DtlProgram *program, GPtrArray *patterns, const char *key)
{
  for (guint i = 0; i < patterns->len; i++)
    if (sluice_dtl_ns_pattern_matches (program, patterns->pdata[i], key))
      return TRUE;
  return FALSE;
}

static int
exec_copy (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) include = NULL;
  g_autoptr (SluiceValue) exclude = NULL;
  SluiceValue *source = ev->scope->source;
  g_autoptr (GPtrArray) inc = NULL;
  g_autoptr (GPtrArray) exc = NULL;
  size_t n;

  if (dtl_kind (source) != SLUICE_VALUE_DICT)
    return DTL_STATUS_CONTINUE;
  /* The common ["copy", "_id"]: one plain constant name needs one look-up (set at compile time). */
  if (node->data != NULL)
    {
      SluiceValue *v = sluice_value_dict_lookup (source, node->data);

      if (v != NULL)
        sluice_dtl_target_set_compiled (target_of (ev), node->data, sluice_value_ref (v));
      return DTL_STATUS_CONTINUE;
    }
  include = dtl_eval (ev, node->args[0]);
  exclude = node->n_args > 1 ? dtl_eval (ev, node->args[1]) : NULL;
  inc = patterns_of (include);
  exc = exclude ? patterns_of (exclude) : g_ptr_array_new ();
  n = sluice_value_dict_get_size (source);
  for (size_t i = 0; i < n; i++)
    {
      const char *key = sluice_value_dict_get_key (source, i);

      if (any_matches (ev->program, inc, key) && !any_matches (ev->program, exc, key))
        sluice_dtl_target_set_static (target_of (ev), key,
                               sluice_value_ref (sluice_value_dict_get_value (source, i)));
    }
  return DTL_STATUS_CONTINUE;
}

static gboolean
compile_copy (DtlCompiler *compiler, DtlNode *node, SluiceValue *call, const char *pointer,
              GError **error)
{
  SluiceValue *include;

  if (!sluice_dtl_compile_args (compiler, node, call, pointer, 0, error))
    return FALSE;
  include = node->args[0]->constant;
  if (node->n_args == 1 && include != NULL && dtl_kind (include) == SLUICE_VALUE_STRING
      && !sluice_dtl_compiler_get_program (compiler)->namespaced
      && strpbrk (sluice_value_get_string (include, NULL), "*?") == NULL)
    node->data = (gpointer) sluice_value_get_string (include, NULL); /* owned by the constant */
  return TRUE;
}

static gboolean
is_entity (SluiceValue *v)
{
  SluiceValue *id;

  if (dtl_kind (v) != SLUICE_VALUE_DICT)
    return FALSE;
  id = sluice_value_dict_lookup (v, "_id");
  return id != NULL && dtl_kind (id) == SLUICE_VALUE_STRING;
}

static int
exec_create (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *v = dtl_at (values, i);

      if (!is_entity (v))
        {
          if (ev->program->id_required)
            {
              sluice_dtl_fail (ev, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_ID_REQUIRED,
                               "%s: 'create' got %s, not an entity with a string _id "
                               "(id_required is true)",
                               node->pointer, sluice_value_kind_get_name (dtl_kind (v)));
              return DTL_STATUS_ERROR;
            }
          continue;
        }
      if (ev->created == NULL)
        ev->created = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
      g_ptr_array_add (ev->created, sluice_value_ref (v));
    }
  return DTL_STATUS_CONTINUE;
}

static int
exec_create_child (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);
  SluiceValue *existing = sluice_dtl_target_lookup (target_of (ev), "$children");
  SluiceListBuilder *builder = sluice_list_builder_new ();
  g_autoptr (GPtrArray) seen = g_ptr_array_new ();

  if (existing != NULL)
    for (size_t i = 0; i < dtl_count (existing); i++)
      {
        sluice_list_builder_add (builder, dtl_at (existing, i));
        g_ptr_array_add (seen, dtl_at (existing, i));
      }
  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *v = dtl_at (values, i);
      gboolean dup = FALSE;

      if (!is_entity (v))
        {
          if (ev->program->id_required)
            {
              sluice_value_unref (sluice_list_builder_end (builder));
              sluice_dtl_fail (ev, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_ID_REQUIRED,
                               "%s: 'create-child' got %s, not an entity with a string _id "
                               "(id_required is true)",
                               node->pointer, sluice_value_kind_get_name (dtl_kind (v)));
              return DTL_STATUS_ERROR;
            }
          continue;
        }
      for (guint j = 0; j < seen->len && !dup; j++)
        dup = sluice_value_equal (seen->pdata[j], v);
      if (dup)
        continue;
      g_ptr_array_add (seen, v);
      sluice_list_builder_add (builder, v);
    }
  sluice_dtl_target_set (target_of (ev), "$children", sluice_list_builder_end (builder));
  return DTL_STATUS_CONTINUE;
}

static int
stop_unless (DtlEval *ev, const DtlNode *node, int status)
{
  g_autoptr (SluiceValue) cond = NULL;

  if (node->n_args == 0)
    return status;
  cond = dtl_eval (ev, node->args[0]);
  return sluice_dtl_truthy (cond) ? DTL_STATUS_CONTINUE : status;
}

static int
exec_discard (DtlEval *ev, const DtlNode *node)
{
  return stop_unless (ev, node, DTL_STATUS_DISCARD);
}

static int
exec_filter (DtlEval *ev, const DtlNode *node)
{
  return stop_unless (ev, node, DTL_STATUS_FILTER);
}

/* The string values of @v as NIs in @ns; NULL when none converts. */
static SluiceValue *
to_nis (const char *ns, SluiceValue *v)
{
  SluiceListBuilder *builder;
  gboolean any = FALSE;

  if (dtl_kind (v) == SLUICE_VALUE_STRING)
    {
      g_autofree char *text = g_strconcat (ns, ":", sluice_value_get_string (v, NULL), NULL);

      return sluice_value_new_ni (text, -1);
    }
  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return NULL;
  builder = sluice_list_builder_new ();
  for (size_t i = 0; i < sluice_value_list_get_length (v); i++)
    {
      SluiceValue *item = sluice_value_list_get (v, i);

      if (dtl_kind (item) == SLUICE_VALUE_STRING)
        {
          g_autofree char *text = g_strconcat (ns, ":", sluice_value_get_string (item, NULL), NULL);

          sluice_list_builder_take (builder, sluice_value_new_ni (text, -1));
          any = TRUE;
        }
    }
  if (!any)
    {
      sluice_list_builder_free (builder);
      return NULL;
    }
  return sluice_list_builder_end (builder);
}

static int
exec_make_ni (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) ns = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) from = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) to = node->n_args > 2 ? dtl_eval (ev, node->args[2]) : NULL;
  SluiceValue *source = ev->scope->source;
  const char *from_name, *to_name = NULL;

  if (dtl_kind (ns) != SLUICE_VALUE_STRING || dtl_kind (from) != SLUICE_VALUE_STRING
      || dtl_kind (source) != SLUICE_VALUE_DICT)
    return DTL_STATUS_CONTINUE;
  from_name = sluice_value_get_string (from, NULL);
  if (to != NULL && dtl_kind (to) == SLUICE_VALUE_STRING)
    to_name = sluice_value_get_string (to, NULL);

  if (!ev->program->namespaced)
    {
      SluiceValue *v = sluice_value_dict_lookup (source, from_name);
      SluiceValue *ni = v ? to_nis (sluice_value_get_string (ns, NULL), v) : NULL;
      g_autofree char *key = to_name ? g_strdup (to_name) : g_strconcat (from_name, "-ni", NULL);

      if (ni != NULL)
        sluice_dtl_target_set (target_of (ev), key, ni);
      return DTL_STATUS_CONTINUE;
    }

  /* With namespaces: every key whose identifier is FROM (or exactly FROM when qualified); the
   * target keeps the source key's namespace. */
  for (size_t i = 0; i < sluice_value_dict_get_size (source); i++)
    {
      const char *key = sluice_value_dict_get_key (source, i);
      size_t ns_len;
      const char *ident = sluice_dtl_ns_split (key, &ns_len);
      gboolean qualified = strchr (from_name, ':') != NULL;
      SluiceValue *ni;
      g_autofree char *target_key = NULL;

      if (qualified ? strcmp (key, from_name) != 0 : strcmp (ident, from_name) != 0)
        continue;
      ni = to_nis (sluice_value_get_string (ns, NULL), sluice_value_dict_get_value (source, i));
      if (ni == NULL)
        continue;
      if (to_name != NULL && strchr (to_name, ':') != NULL)
        target_key = g_strdup (to_name);
      else if (to_name != NULL)
        target_key = ns_len ? g_strdup_printf ("%.*s:%s", (int) ns_len, key, to_name)
                            : g_strdup (to_name);
      else
        target_key = g_strconcat (key, "-ni", NULL);
      sluice_dtl_target_set (target_of (ev), target_key, ni);
    }
  return DTL_STATUS_CONTINUE;
}

static int
exec_merge (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *d = dtl_at (values, i);

      if (dtl_kind (d) != SLUICE_VALUE_DICT)
        continue;
      for (size_t j = 0; j < sluice_value_dict_get_size (d); j++)
        {
          const char *key = sluice_value_dict_get_key (d, j);

          if (key[0] != '_')
            sluice_dtl_target_set (target_of (ev), key,
                                   sluice_value_ref (sluice_value_dict_get_value (d, j)));
        }
    }
  return DTL_STATUS_CONTINUE;
}

static int
exec_merge_union (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *d = dtl_at (values, i);

      if (dtl_kind (d) != SLUICE_VALUE_DICT)
        continue;
      for (size_t j = 0; j < sluice_value_dict_get_size (d); j++)
        {
          const char *key = sluice_value_dict_get_key (d, j);
          SluiceValue *value = sluice_value_dict_get_value (d, j);
          SluiceValue *old;
          SluiceListBuilder *builder;

          if (key[0] == '_')
            continue;
          old = sluice_dtl_target_lookup (target_of (ev), key);
          if (old == NULL)
            {
              sluice_dtl_target_set (target_of (ev), key, sluice_value_ref (value));
              continue;
            }
          builder = sluice_list_builder_new ();
          for (size_t k = 0; k < dtl_count (old); k++)
            sluice_list_builder_add (builder, dtl_at (old, k));
          for (size_t k = 0; k < dtl_count (value); k++)
            sluice_list_builder_add (builder, dtl_at (value, k));
          sluice_dtl_target_set (target_of (ev), key, sluice_list_builder_end (builder));
        }
    }
  return DTL_STATUS_CONTINUE;
}

static int
exec_remove (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) pattern = dtl_eval (ev, node->args[0]);
  DtlTarget *target = target_of (ev);
  g_autoptr (GPtrArray) patterns = patterns_of (pattern);

  for (guint i = target->n; i > 0; i--)
    if (any_matches (ev->program, patterns, target->entries[i - 1].key))
      {
        g_autofree char *key = g_strdup (target->entries[i - 1].key);

        sluice_dtl_target_remove (target, key);
      }
  return DTL_STATUS_CONTINUE;
}

static int
exec_rename (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) from = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) to = dtl_eval (ev, node->args[1]);
  SluiceValue *source = ev->scope->source;
  const char *from_name, *to_name;
  SluiceListBuilder *collect = NULL;
  gboolean any = FALSE;

  if (dtl_kind (from) != SLUICE_VALUE_STRING || dtl_kind (to) != SLUICE_VALUE_STRING
      || dtl_kind (source) != SLUICE_VALUE_DICT)
    return DTL_STATUS_CONTINUE;
  from_name = sluice_value_get_string (from, NULL);
  to_name = sluice_value_get_string (to, NULL);
  if (!ev->program->namespaced || g_str_has_prefix (from_name, "::"))
    {
      SluiceValue *v = sluice_value_dict_lookup (source, g_str_has_prefix (from_name, "::")
                                                           ? from_name + 2 : from_name);

      if (v != NULL)
        sluice_dtl_target_set (target_of (ev), g_str_has_prefix (to_name, "::") ? to_name + 2 : to_name,
                               sluice_value_ref (v));
      return DTL_STATUS_CONTINUE;
    }
  if (strchr (to_name, ':') != NULL)
    collect = sluice_list_builder_new ();
  for (size_t i = 0; i < sluice_value_dict_get_size (source); i++)
    {
      const char *key = sluice_value_dict_get_key (source, i);
      size_t ns_len;
      const char *ident = sluice_dtl_ns_split (key, &ns_len);
      SluiceValue *v = sluice_value_dict_get_value (source, i);
      g_autofree char *target_key = NULL;

      if (strchr (from_name, ':') != NULL ? strcmp (key, from_name) != 0 : strcmp (ident, from_name) != 0)
        continue;
      any = TRUE;
      if (collect != NULL)
        {
          for (size_t k = 0; k < dtl_count (v); k++)
            sluice_list_builder_add (collect, dtl_at (v, k));
          continue;
        }
      target_key = ns_len ? g_strdup_printf ("%.*s:%s", (int) ns_len, key, to_name) : g_strdup (to_name);
      sluice_dtl_target_set (target_of (ev), target_key, sluice_value_ref (v));
    }
  if (collect != NULL)
    {
      if (any)
        sluice_dtl_target_set (target_of (ev), to_name, sluice_list_builder_end (collect));
      else
        sluice_list_builder_free (collect);
    }
  return DTL_STATUS_CONTINUE;
}

static char *
message_of (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  GString *out;

  if (dtl_kind (v) == SLUICE_VALUE_STRING)
    return g_strdup (sluice_value_get_string (v, NULL));
  out = g_string_new (NULL);
  sluice_dtl_write_json (out, v, TRUE);
  return g_string_free (out, FALSE);
}

static int
exec_fail (DtlEval *ev, const DtlNode *node)
{
  g_autofree char *message = message_of (ev, node);

  sluice_dtl_fail (ev, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_FAIL, "%s", message);
  return DTL_STATUS_ERROR;
}

static int
exec_trip (DtlEval *ev, const DtlNode *node)
{
  g_autofree char *message = message_of (ev, node);

  sluice_dtl_fail (ev, SLUICE_ERROR, SLUICE_ERROR_CIRCUIT_BREAKER_TRIP, "%s", message);
  return DTL_STATUS_ERROR;
}

static int
exec_sleep (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) period = dtl_eval (ev, node->args[0]);

  if (dtl_is_number (period) && sluice_value_get_float (period) > 0)
    g_usleep ((gulong) (sluice_value_get_float (period) * G_USEC_PER_SEC));
  return DTL_STATUS_CONTINUE;
}

const DtlFunction sluice_dtl_transforms[] = {
  { "add", 2, 2, 0, NULL, exec_add, compile_property_first, NULL },
  { "add-if", 2, 3, 0, NULL, exec_add_if, compile_property_first, NULL },
  { "case", 2, DTL_ARGS_UNLIMITED, 0, NULL, exec_case, compile_case, NULL },
  { "case-eq", 3, DTL_ARGS_UNLIMITED, 0, NULL, exec_case_eq, compile_case_eq, NULL },
  { "comment", 0, DTL_ARGS_UNLIMITED, 0, NULL, exec_comment, compile_comment, NULL },
  { "copy", 1, 2, 0, NULL, exec_copy, compile_copy, NULL },
  { "create", 1, 1, 0, NULL, exec_create, NULL, NULL },
  { "create-child", 1, 1, 0, NULL, exec_create_child, NULL, NULL },
  { "default", 2, 2, 0, NULL, exec_default, compile_property_first, NULL },
  { "discard", 0, 1, 0, NULL, exec_discard, NULL, NULL },
  { "filter", 0, 1, 0, NULL, exec_filter, NULL, NULL },
  { "if", 2, 3, 0, NULL, exec_if, compile_if, NULL },
  { "make-ni", 2, 3, 0, NULL, exec_make_ni, NULL, NULL },
  { "merge", 1, 1, 0, NULL, exec_merge, NULL, NULL },
  { "merge-union", 1, 1, 0, NULL, exec_merge_union, NULL, NULL },
  { "remove", 1, 1, 0, NULL, exec_remove, NULL, NULL },
  { "rename", 2, 2, 0, NULL, exec_rename, NULL, NULL },
  { "fail!", 1, 1, 0, NULL, exec_fail, NULL, NULL },
  { "sleep!", 1, 1, 0, NULL, exec_sleep, NULL, NULL },
  { "trip!", 1, 1, 0, NULL, exec_trip, NULL, NULL },
  { NULL },
};
