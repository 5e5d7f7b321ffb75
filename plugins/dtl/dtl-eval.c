/* dtl-eval.c — running compiled DTL: rules, contexts, variables and the shared evaluation
 * conventions (see dtl-eval.h). */
#include "dtl-eval.h"
#include "dtl-plan.h"

#include <math.h>
#include <string.h>

/* `apply` may recurse through rules; this bounds the nesting. */
#define MAX_DEPTH 64

/* Targets start in this many entries on the stack: a run allocates no entry array unless its
 * target grows past it.  (Not a per-thread cache: its destructor would live in this module, which
 * the host may unload before its worker threads exit.) */
#define TARGET_STACK_ENTRIES 16

G_DEFINE_QUARK (sluice-dtl-error-quark, sluice_dtl_error)

void
sluice_dtl_fail (DtlEval *ev, GQuark domain, int code, const char *format, ...)
{
  va_list args;

  if (ev->error != NULL)
    return;
  va_start (args, format);
  ev->error = g_error_new_valist (domain, code, format, args);
  va_end (args);
}

gboolean
sluice_dtl_truthy (const SluiceValue *v)
{
  switch (sluice_value_get_kind (v))
    {
    case SLUICE_VALUE_NULL:
      return FALSE;
    case SLUICE_VALUE_BOOLEAN:
      return sluice_value_get_boolean (v);
    case SLUICE_VALUE_LIST:
      return sluice_value_list_get_length (v) > 0;
    default:
      return TRUE;
    }
}

SluiceValue *
sluice_dtl_eval_constant (DtlEval *ev, const DtlNode *node)
{
  return sluice_value_ref (node->constant);
}

/* `_P.` or `_R.` as a whole: a dict with `_S`, `_T` and, for a parent with a parent, `_P`. */
static SluiceValue *
scope_as_value (DtlScope *scope, gboolean with_parent)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  sluice_dict_builder_add (builder, "_S", scope->source);
  sluice_dict_builder_add (builder, "_T", sluice_dtl_target_get_value (scope->target));
  if (with_parent && scope->parent != NULL)
    sluice_dict_builder_take (builder, "_P", scope_as_value (scope->parent, TRUE));
  return sluice_dict_builder_end (builder);
}

SluiceValue *
sluice_dtl_eval_path (DtlEval *ev, const DtlNode *node)
{
  DtlPath *path = node->path;
  DtlScope *scope = ev->scope;
  DtlVar var = path->var;
  guint i = 0;
  SluiceValue *start;

  if (ev->error != NULL)
    return dtl_null ();

  if (var == DTL_VAR_P || var == DTL_VAR_R)
    {
      gboolean is_parent = var == DTL_VAR_P;

      scope = is_parent ? scope->parent : ev->root;
      for (;;)
        {
          if (scope == NULL)
            return dtl_null ();
          if (i < path->n_steps && strcmp (path->steps[i], "_S") == 0)
            {
              var = DTL_VAR_S;
              i++;
              break;
            }
          if (i < path->n_steps && strcmp (path->steps[i], "_T") == 0)
            {
              var = DTL_VAR_T;
              i++;
              break;
            }
          if (is_parent && i < path->n_steps && strcmp (path->steps[i], "_P") == 0)
            {
              scope = scope->parent;
              i++;
              continue;
            }
          {
            g_autoptr (SluiceValue) whole = scope_as_value (scope, is_parent);

            return sluice_dtl_path_walk (whole, path->steps + i, path->n_steps - i, FALSE);
          }
        }
    }

  switch (var)
    {
    case DTL_VAR_S:
      start = scope->source;
      break;
    case DTL_VAR_T:
      if (i == path->n_steps)
        start = sluice_dtl_target_get_value (scope->target);
      else
        {
          start = sluice_dtl_target_lookup (scope->target, path->steps[i]);
          if (start == NULL)
            return dtl_null ();
          i++;
        }
      break;
    case DTL_VAR_B:
      start = ev->bound;
      break;
    case DTL_VAR_CURRENT:
    default:
      start = ev->current;
      break;
    }
  i = sluice_dtl_path_walk_dicts (path, i, start, &start);
  if (i == path->n_steps)
    return sluice_value_ref (start);
  return sluice_dtl_path_walk (start, path->steps + i, path->n_steps - i, FALSE);
}

SluiceValue *
sluice_dtl_eval_borrowed (DtlEval *ev, const DtlNode *node, SluiceValue **owned)
{
  *owned = NULL;
  if (node->eval == sluice_dtl_eval_constant)
    return node->constant;
  /* Values reached from `_S`, `_B` or `_` outlive the evaluation of any expression: the source
   * for the whole run, the others for the call that bound them.  The walk mirrors
   * sluice_dtl_path_walk ()'s single-value case and leaves fan-out over lists to it. */
  if (node->eval == sluice_dtl_eval_path && ev->error == NULL
      && (node->path->var == DTL_VAR_S || node->path->var == DTL_VAR_B
          || node->path->var == DTL_VAR_CURRENT))
    {
      DtlPath *path = node->path;
      SluiceValue *v = path->var == DTL_VAR_S ? ev->scope->source
                       : path->var == DTL_VAR_B ? ev->bound : ev->current;
      guint i = sluice_dtl_path_walk_dicts (path, 0, v, &v);

      if (i == path->n_steps)
        return v;
      *owned = sluice_dtl_path_walk (v, path->steps + i, path->n_steps - i, FALSE);
      return *owned;
    }
  *owned = dtl_eval (ev, node);
  return *owned;
}

SluiceValue *
sluice_dtl_eval_with (DtlEval *ev, const DtlNode *node, SluiceValue *current)
{
  SluiceValue *saved = ev->current;
  SluiceValue *result;

  ev->current = current;
  result = node->eval (ev, node);
  ev->current = saved;
  return result;
}

gboolean
sluice_dtl_test_with (DtlEval *ev, const DtlNode *node, SluiceValue *current)
{
  g_autoptr (SluiceValue) v = sluice_dtl_eval_with (ev, node, current);

  return sluice_dtl_truthy (v);
}

SluiceValue *
sluice_dtl_list_take (SluiceValue **items, size_t n)
{
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (size_t i = 0; i < n; i++)
    sluice_list_builder_take (builder, items[i]);
  return sluice_list_builder_end (builder);
}

SluiceValue *
sluice_dtl_map (DtlEval *ev, const DtlNode *node, SluiceValue *values, DtlMapFunc fn, gpointer data)
{
  SluiceListBuilder *builder;
  size_t n;

  if (dtl_kind (values) != SLUICE_VALUE_LIST)
    {
      SluiceValue *r = fn (ev, node, values, data);

      return r ? r : dtl_null ();
    }
  builder = sluice_list_builder_new ();
  n = sluice_value_list_get_length (values);
  for (size_t i = 0; i < n; i++)
    {
      SluiceValue *r = fn (ev, node, sluice_value_list_get (values, i), data);

      if (r != NULL)
        sluice_list_builder_take (builder, r);
    }
  return sluice_list_builder_end (builder);
}

typedef struct
{
  DtlMapFunc fn;
  gpointer data;
  const DtlNode *fallback;
} CastData;

static SluiceValue *
cast_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  CastData *cast = data;
  SluiceValue *r;

  if (dtl_kind (item) == SLUICE_VALUE_NULL)
    return dtl_null ();
  r = cast->fn (ev, node, item, cast->data);
  if (r == NULL && cast->fallback != NULL)
    r = sluice_dtl_eval_with (ev, cast->fallback, item);
  return r;
}

SluiceValue *
sluice_dtl_cast (DtlEval *ev, const DtlNode *node, DtlMapFunc fn, gpointer data)
{
  CastData cast = { fn, data, node->n_args == 2 ? node->args[0] : NULL };
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);

  return sluice_dtl_map (ev, node, values, cast_one, &cast);
}

gboolean
sluice_dtl_get_int (const SluiceValue *v, int64_t *ret)
{
  double d;

  switch (dtl_kind (v))
    {
    case SLUICE_VALUE_INTEGER:
      *ret = sluice_value_get_integer (v);
      return TRUE;
    case SLUICE_VALUE_FLOAT:
    case SLUICE_VALUE_DECIMAL:
      d = sluice_value_get_float (v);
      if (!isfinite (d) || d != trunc (d) || fabs (d) > 9.2e18)
        return FALSE;
      *ret = (int64_t) d;
      return TRUE;
    default:
      return FALSE;
    }
}

/* Running rules. */

int
sluice_dtl_run_steps (DtlEval *ev, DtlNode *const *steps, guint n_steps)
{
  for (guint i = 0; i < n_steps; i++)
    {
      int status = steps[i]->exec (ev, steps[i]);

      if (ev->error != NULL)
        return DTL_STATUS_ERROR;
      if (status != DTL_STATUS_CONTINUE)
        return status;
    }
  return DTL_STATUS_CONTINUE;
}

SluiceValue *
sluice_dtl_apply_rule (DtlEval *ev, const DtlRule *rule, SluiceValue *source)
{
  DtlTargetEntry storage[TARGET_STACK_ENTRIES];
  DtlTarget target;
  DtlScope scope = { source, &target, ev->scope };
  DtlScope *saved = ev->scope;
  SluiceValue *saved_current = ev->current;
  SluiceValue *result = NULL;
  int status;

  if (ev->error != NULL)
    return NULL;
  if (ev->depth >= MAX_DEPTH)
    {
      sluice_dtl_fail (ev, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_LIMIT,
                       "rule '%s' nested more than %d levels deep through 'apply'", rule->name,
                       MAX_DEPTH);
      return NULL;
    }
  sluice_dtl_target_init_with_storage (&target, storage, TARGET_STACK_ENTRIES);
  ev->scope = &scope;
  ev->current = NULL;
  ev->depth++;
  if (rule->plan != NULL)
    {
      result = sluice_dtl_plan_run (ev, rule->plan);
      status = result != NULL ? DTL_STATUS_CONTINUE : DTL_STATUS_ERROR;
    }
  else
    {
      status = sluice_dtl_run_steps (ev, rule->steps, rule->n_steps);
      if (status == DTL_STATUS_CONTINUE)
        result = sluice_dtl_target_steal_value (&target, (DtlShapeCache *) &rule->shapes);
    }
  ev->depth--;
  ev->scope = saved;
  ev->current = saved_current;
  sluice_dtl_target_free_storage (&target);
  return result;
}

void
sluice_dtl_result_clear (DtlResult *result)
{
  g_clear_pointer (&result->target, sluice_value_unref);
  g_clear_pointer (&result->created, g_ptr_array_unref);
  result->status = DTL_STATUS_CONTINUE;
}

gboolean
sluice_dtl_program_run (const DtlProgram *program, SluiceValue *source, SluiceValue *target_before,
                        DtlResult *result, GError **error)
{
  DtlTargetEntry storage[TARGET_STACK_ENTRIES];
  DtlTarget root_target;
  DtlTarget *target = &root_target;
  DtlScope scope;
  DtlEval ev = { program, &scope, &scope, NULL, program->bound, NULL, NULL, 0 };
  int status;

  sluice_dtl_target_init_with_storage (target, storage, TARGET_STACK_ENTRIES);
  scope.source = source;
  scope.target = target;
  scope.parent = NULL;
  memset (result, 0, sizeof *result);
  if (program->default_rule->plan != NULL && target_before == NULL)
    {
      result->target = sluice_dtl_plan_run (&ev, program->default_rule->plan);
      if (result->target == NULL)
        {
          g_propagate_error (error, ev.error);
          return FALSE;
        }
      result->status = DTL_STATUS_CONTINUE;
      return TRUE;
    }
  if (target_before != NULL)
    sluice_dtl_target_set_all (target, target_before);
  status = sluice_dtl_run_steps (&ev, program->default_rule->steps, program->default_rule->n_steps);
  if (ev.error != NULL)
    {
      g_propagate_error (error, ev.error);
      sluice_dtl_target_free_storage (target);
      g_clear_pointer (&ev.created, g_ptr_array_unref);
      return FALSE;
    }
  result->status = status;
  if (status != DTL_STATUS_DISCARD)
    result->target = sluice_dtl_target_steal_value (target, &program->default_rule->shapes);
  sluice_dtl_target_free_storage (target);
  result->created = ev.created;
  return TRUE;
}

SluiceValue *
sluice_dtl_eval_expression (const DtlProgram *program, const DtlNode *node, SluiceValue *source,
                            GError **error)
{
  DtlTarget target;
  DtlScope scope = { source, &target, NULL };
  DtlEval ev = { program, &scope, &scope, NULL, program->bound, NULL, NULL, 0 };
  SluiceValue *v;

  sluice_dtl_target_init (&target);
  v = dtl_eval (&ev, node);
  sluice_dtl_target_clear (&target);
  g_free (target.entries);
  g_clear_pointer (&ev.created, g_ptr_array_unref);
  if (ev.error != NULL)
    {
      g_propagate_error (error, ev.error);
      sluice_value_unref (v);
      return NULL;
    }
  return v;
}

/* JSON text in the style of Python's json.dumps (sort_keys=True): ", " and ": " separators,
 * non-ASCII escaped, floats as repr () writes them. */

void
sluice_dtl_append_float (GString *out, double d)
{
  char buf[40];
  int prec;
  char *e;
  int exp10;
  char digits[32];
  int nd = 0;

  if (isnan (d))
    {
      g_string_append (out, "NaN");
      return;
    }
  if (isinf (d))
    {
      g_string_append (out, d < 0 ? "-Infinity" : "Infinity");
      return;
    }
  if (d == 0)
    {
      g_string_append (out, signbit (d) ? "-0.0" : "0.0");
      return;
    }
  for (prec = 1; prec <= 17; prec++)
    {
      g_snprintf (buf, sizeof buf, "%.*e", prec - 1, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  if (d < 0)
    g_string_append_c (out, '-');
  for (char *p = buf; *p != 'e'; p++)
    if (g_ascii_isdigit (*p))
      digits[nd++] = *p;
  digits[nd] = '\0';
  e = strchr (buf, 'e');
  exp10 = atoi (e + 1);
  if (exp10 >= -5 && exp10 < 16)
    {
      if (exp10 < 0)
        {
          g_string_append (out, "0.");
          for (int i = 0; i < -exp10 - 1; i++)
            g_string_append_c (out, '0');
          g_string_append (out, digits);
        }
      else
        {
          for (int i = 0; i <= exp10; i++)
            g_string_append_c (out, i < nd ? digits[i] : '0');
          g_string_append_c (out, '.');
          if (nd > exp10 + 1)
            g_string_append (out, digits + exp10 + 1);
          else
            g_string_append_c (out, '0');
        }
    }
  else
    {
      g_string_append_c (out, digits[0]);
      if (nd > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exp10 < 0 ? '-' : '+', ABS (exp10));
    }
}

static void
append_json_string (GString *out, const char *s, size_t len)
{
  const char *end = s + len;

  g_string_append_c (out, '"');
  while (s < end)
    {
      unsigned char c = (unsigned char) *s;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
          s++;
        }
      else if (c == '\n')
        g_string_append (out, "\\n"), s++;
      else if (c == '\r')
        g_string_append (out, "\\r"), s++;
      else if (c == '\t')
        g_string_append (out, "\\t"), s++;
      else if (c == '\b')
        g_string_append (out, "\\b"), s++;
      else if (c == '\f')
        g_string_append (out, "\\f"), s++;
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c), s++;
      else if (c < 0x80)
        g_string_append_c (out, (char) c), s++;
      else
        {
          gunichar u = g_utf8_get_char_validated (s, end - s);

          if (u == (gunichar) -1 || u == (gunichar) -2)
            {
              s++;
              continue;
            }
          if (u >= 0x10000)
            {
              gunichar v = u - 0x10000;

              g_string_append_printf (out, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
            }
          else
            g_string_append_printf (out, "\\u%04x", u);
          s = g_utf8_next_char (s);
        }
    }
  g_string_append_c (out, '"');
}

static int
compare_keys (gconstpointer a, gconstpointer b, gpointer user_data)
{
  SluiceValue *dict = user_data;

  return strcmp (sluice_value_dict_get_key (dict, *(const guint *) a),
                 sluice_value_dict_get_key (dict, *(const guint *) b));
}

void
sluice_dtl_write_json (GString *out, const SluiceValue *v, gboolean transit)
{
  switch (dtl_kind (v))
    {
    case SLUICE_VALUE_NULL:
      g_string_append (out, "null");
      break;
    case SLUICE_VALUE_BOOLEAN:
      g_string_append (out, sluice_value_get_boolean (v) ? "true" : "false");
      break;
    case SLUICE_VALUE_INTEGER:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, sluice_value_get_integer (v));
      break;
    case SLUICE_VALUE_FLOAT:
      sluice_dtl_append_float (out, sluice_value_get_float (v));
      break;
    case SLUICE_VALUE_DECIMAL:
      {
        g_autofree char *text = sluice_value_to_json (v);

        /* A big integer is written bare; a decimal as "~f…". */
        if (text[0] == '"')
          {
            if (transit)
              g_string_append (out, text);
            else
              g_string_append_len (out, text + 3, strlen (text) - 4);
          }
        else
          g_string_append (out, text);
      }
      break;
    case SLUICE_VALUE_STRING:
      {
        size_t len;
        const char *s = sluice_value_get_string (v, &len);

        append_json_string (out, s, len);
      }
      break;
    case SLUICE_VALUE_LIST:
      g_string_append_c (out, '[');
      for (size_t i = 0; i < sluice_value_list_get_length (v); i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          sluice_dtl_write_json (out, sluice_value_list_get (v, i), transit);
        }
      g_string_append_c (out, ']');
      break;
    case SLUICE_VALUE_DICT:
      {
        size_t n = sluice_value_dict_get_size (v);
        g_autofree guint *order = g_new (guint, n + 1);

        for (guint i = 0; i < n; i++)
          order[i] = i;
        g_qsort_with_data (order, (gint) n, sizeof (guint), compare_keys, (gpointer) v);
        g_string_append_c (out, '{');
        for (size_t i = 0; i < n; i++)
          {
            const char *key = sluice_value_dict_get_key (v, order[i]);

            if (i > 0)
              g_string_append (out, ", ");
            append_json_string (out, key, strlen (key));
            g_string_append (out, ": ");
            sluice_dtl_write_json (out, sluice_value_dict_get_value (v, order[i]), transit);
          }
        g_string_append_c (out, '}');
      }
      break;
    default:
      {
        /* Typed scalars: the SDK writes their transit string. */
        g_autofree char *text = sluice_value_to_json (v);

        if (transit)
          g_string_append (out, text);
        else
          {
            /* The text without the "~x" prefix, still quoted. */
            g_string_append_c (out, '"');
            g_string_append (out, text + 3);
          }
      }
      break;
    }
}
