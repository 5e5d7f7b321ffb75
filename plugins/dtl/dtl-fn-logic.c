/* dtl-fn-logic.c — boolean logic, comparisons, conditionals and nulls (digest §11.7): the
 * functions that decide, as opposed to the ones that compute.  Branches and later arguments are
 * evaluated only when needed. */
#include "dtl-compiler.h"

gboolean
sluice_dtl_value_equal (const SluiceValue *a, const SluiceValue *b)
{
  SluiceValueKind ka = dtl_kind (a), kb = dtl_kind (b);

  if (ka != kb)
    {
      if (dtl_is_number (a) && dtl_is_number (b))
        return sluice_value_compare (a, b) == 0;
      return FALSE;
    }
  if (ka == SLUICE_VALUE_LIST)
    {
      size_t n = sluice_value_list_get_length (a);

      if (n != sluice_value_list_get_length (b))
        return FALSE;
      for (size_t i = 0; i < n; i++)
        if (!sluice_dtl_value_equal (sluice_value_list_get (a, i), sluice_value_list_get (b, i)))
          return FALSE;
      return TRUE;
    }
  if (ka == SLUICE_VALUE_DICT)
    {
      size_t n = sluice_value_dict_get_size (a);

      if (n != sluice_value_dict_get_size (b))
        return FALSE;
      for (size_t i = 0; i < n; i++)
        {
          SluiceValue *other = sluice_value_dict_lookup (b, sluice_value_dict_get_key (a, i));

          if (other == NULL || !sluice_dtl_value_equal (sluice_value_dict_get_value (a, i), other))
            return FALSE;
        }
      return TRUE;
    }
  return sluice_value_equal (a, b);
}

gboolean
sluice_dtl_values_eq (SluiceValue *a, SluiceValue *b)
{
  size_t n = dtl_count (a);

  if (n != dtl_count (b))
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!sluice_dtl_value_equal (dtl_at (a, i), dtl_at (b, i)))
      return FALSE;
  return TRUE;
}

gboolean
sluice_dtl_is_null (SluiceValue *v)
{
  SluiceValueKind k = dtl_kind (v);

  if (k == SLUICE_VALUE_NULL)
    return TRUE;
  if (k == SLUICE_VALUE_LIST)
    return sluice_value_list_get_length (v) == 0
           || dtl_kind (sluice_value_list_get (v, 0)) == SLUICE_VALUE_NULL;
  return FALSE;
}

/* Boolean logic. */

static SluiceValue *
fn_and (DtlEval *ev, const DtlNode *node)
{
  for (guint i = 0; i < node->n_args; i++)
    {
      g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[i]);

      if (!sluice_dtl_truthy (v))
        return dtl_bool (FALSE);
    }
  return dtl_bool (TRUE);
}

static SluiceValue *
fn_or (DtlEval *ev, const DtlNode *node)
{
  for (guint i = 0; i < node->n_args; i++)
    {
      g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[i]);

      if (sluice_dtl_truthy (v))
        return dtl_bool (TRUE);
    }
  return dtl_bool (FALSE);
}

static SluiceValue *
fn_not (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) all = fn_and (ev, node);

  return dtl_bool (!sluice_value_get_boolean (all));
}

static SluiceValue *
quantify (DtlEval *ev, const DtlNode *node, gboolean want_all)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *item = dtl_at (values, i);
      gboolean t = fn ? sluice_dtl_test_with (ev, fn, item) : sluice_dtl_truthy (item);

      if (want_all && !t)
        return dtl_bool (FALSE);
      if (!want_all && t)
        return dtl_bool (TRUE);
    }
  return dtl_bool (want_all);
}

static SluiceValue *
fn_all (DtlEval *ev, const DtlNode *node)
{
  return quantify (ev, node, TRUE);
}

static SluiceValue *
fn_any (DtlEval *ev, const DtlNode *node)
{
  return quantify (ev, node, FALSE);
}

/* Comparisons. */

static SluiceValue *
fn_eq (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = dtl_eval (ev, node->args[1]);

  return dtl_bool (sluice_dtl_values_eq (a, b));
}

static SluiceValue *
fn_neq (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = dtl_eval (ev, node->args[1]);

  return dtl_bool (!sluice_dtl_values_eq (a, b));
}

static int
compare_first (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = dtl_eval (ev, node->args[1]);

  return sluice_value_compare (dtl_first (a), dtl_first (b));
}

static SluiceValue *
fn_gt (DtlEval *ev, const DtlNode *node)
{
  return dtl_bool (compare_first (ev, node) > 0);
}

static SluiceValue *
fn_gte (DtlEval *ev, const DtlNode *node)
{
  return dtl_bool (compare_first (ev, node) >= 0);
}

static SluiceValue *
fn_lt (DtlEval *ev, const DtlNode *node)
{
  return dtl_bool (compare_first (ev, node) < 0);
}

static SluiceValue *
fn_lte (DtlEval *ev, const DtlNode *node)
{
  return dtl_bool (compare_first (ev, node) <= 0);
}

/* Conditionals. */

static SluiceValue *
fn_if (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) cond = dtl_eval (ev, node->args[0]);

  if (sluice_dtl_truthy (cond))
    return dtl_eval (ev, node->args[1]);
  return node->n_args == 3 ? dtl_eval (ev, node->args[2]) : dtl_null ();
}

static SluiceValue *
fn_case (DtlEval *ev, const DtlNode *node)
{
  guint i;

  for (i = 0; i + 1 < node->n_args; i += 2)
    {
      g_autoptr (SluiceValue) cond = dtl_eval (ev, node->args[i]);

      if (sluice_dtl_truthy (cond))
        return dtl_eval (ev, node->args[i + 1]);
    }
  return i < node->n_args ? dtl_eval (ev, node->args[i]) : dtl_null ();
}

static SluiceValue *
fn_case_eq (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) value = dtl_eval (ev, node->args[0]);
  guint i;

  for (i = 1; i + 1 < node->n_args; i += 2)
    {
      g_autoptr (SluiceValue) candidate = dtl_eval (ev, node->args[i]);

      if (sluice_dtl_values_eq (value, candidate))
        return dtl_eval (ev, node->args[i + 1]);
    }
  return i < node->n_args ? dtl_eval (ev, node->args[i]) : dtl_null ();
}

/* Nulls. */

static SluiceValue *
fn_coalesce (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;

  for (size_t i = 0; i < dtl_count (values); i++)
    {
      SluiceValue *item = dtl_at (values, i);

      if (fn ? sluice_dtl_test_with (ev, fn, item) : dtl_kind (item) != SLUICE_VALUE_NULL)
        return sluice_value_ref (item);
    }
  return dtl_null ();
}

static SluiceValue *
fn_coalesce_args (DtlEval *ev, const DtlNode *node)
{
  for (guint i = 0; i < node->n_args; i++)
    {
      SluiceValue *v = dtl_eval (ev, node->args[i]);

      if (dtl_kind (v) != SLUICE_VALUE_NULL)
        return v;
      sluice_value_unref (v);
    }
  return dtl_null ();
}

static SluiceValue *
fn_if_null (DtlEval *ev, const DtlNode *node)
{
  SluiceValue *v = dtl_eval (ev, node->args[0]);

  if (!sluice_dtl_is_null (v))
    return v;
  sluice_value_unref (v);
  return dtl_eval (ev, node->args[1]);
}

static SluiceValue *
fn_is_null (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (sluice_dtl_is_null (v));
}

static SluiceValue *
fn_is_not_null (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (!sluice_dtl_is_null (v));
}

const DtlFunction sluice_dtl_fn_logic[] = {
  { "and", 1, DTL_ARGS_UNLIMITED, 0, fn_and },
  { "or", 1, DTL_ARGS_UNLIMITED, 0, fn_or },
  { "not", 1, DTL_ARGS_UNLIMITED, 0, fn_not },
  { "all", 1, 2, 0, fn_all },
  { "any", 1, 2, 0, fn_any },
  { "eq", 2, 2, 0, fn_eq },
  { "neq", 2, 2, 0, fn_neq },
  { "gt", 2, 2, 0, fn_gt },
  { "gte", 2, 2, 0, fn_gte },
  { "lt", 2, 2, 0, fn_lt },
  { "lte", 2, 2, 0, fn_lte },
  { "if", 2, 3, 0, fn_if },
  { "case", 2, DTL_ARGS_UNLIMITED, 0, fn_case },
  { "case-eq", 3, DTL_ARGS_UNLIMITED, 0, fn_case_eq },
  { "coalesce", 1, 2, 0, fn_coalesce },
  { "coalesce-args", 1, DTL_ARGS_UNLIMITED, 0, fn_coalesce_args },
  { "if-null", 2, 2, 0, fn_if_null },
  { "is-null", 1, 1, 0, fn_is_null },
  { "is-not-null", 1, 1, 0, fn_is_not_null },
  { NULL },
};
