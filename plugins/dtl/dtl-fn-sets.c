/* dtl-fn-sets.c — set operations on lists, keeping the first argument's order (digest §11.7
 * "Sets"). */
#include "dtl-compiler.h"

static gboolean
contains (SluiceValue *items, SluiceValue *x)
{
  for (size_t i = 0; i < dtl_count (items); i++)
    if (sluice_dtl_value_equal (dtl_at (items, i), x))
      return TRUE;
  return FALSE;
}

static SluiceValue *
fn_union (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (guint a = 0; a < node->n_args; a++)
    {
      SluiceValue *v = dtl_eval (ev, node->args[a]);

      g_ptr_array_add (seen, v);
      for (size_t i = 0; i < dtl_count (v); i++)
        {
          SluiceValue *x = dtl_at (v, i);
          gboolean dup = FALSE;

          for (guint j = 0; j < seen->len && !dup; j++)
            {
              SluiceValue *earlier = seen->pdata[j];
              size_t limit = j + 1 == seen->len ? i : dtl_count (earlier);

              for (size_t k = 0; k < limit && !dup; k++)
                dup = sluice_dtl_value_equal (dtl_at (earlier, k), x);
            }
          if (!dup)
            sluice_list_builder_add (builder, x);
        }
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
filter_first (DtlEval *ev, const DtlNode *node, gboolean keep_common)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (GPtrArray) others = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (guint i = 1; i < node->n_args; i++)
    g_ptr_array_add (others, dtl_eval (ev, node->args[i]));
  for (size_t i = 0; i < dtl_count (a); i++)
    {
      SluiceValue *x = dtl_at (a, i);
      gboolean in_all = TRUE, in_any = FALSE;

      for (guint j = 0; j < others->len; j++)
        {
          gboolean c = contains (others->pdata[j], x);

          in_all &= c;
          in_any |= c;
        }
      if (keep_common ? in_all : !in_any)
        sluice_list_builder_add (builder, x);
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *fn_intersection (DtlEval *ev, const DtlNode *node) { return filter_first (ev, node, TRUE); }
static SluiceValue *fn_difference (DtlEval *ev, const DtlNode *node) { return filter_first (ev, node, FALSE); }

static SluiceValue *
fn_intersects (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = dtl_eval (ev, node->args[1]);

  for (size_t i = 0; i < dtl_count (a); i++)
    if (contains (b, dtl_at (a, i)))
      return dtl_bool (TRUE);
  return dtl_bool (FALSE);
}

const DtlFunction sluice_dtl_fn_sets[] = {
  { "union", 2, DTL_ARGS_UNLIMITED, 0, fn_union },
  { "intersection", 2, DTL_ARGS_UNLIMITED, 0, fn_intersection },
  { "difference", 2, DTL_ARGS_UNLIMITED, 0, fn_difference },
  { "intersects", 2, 2, 0, fn_intersects },
  { NULL },
};
