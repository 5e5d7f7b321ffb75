/* dtl-fn-lists.c — list functions (digest §11.7 "Lists"): building, slicing, ordering, grouping
 * and the higher-order functions that bind `_` to each element. */
#include "dtl-compiler.h"

#include <string.h>

static SluiceValue *
fn_list (DtlEval *ev, const DtlNode *node)
{
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (guint i = 0; i < node->n_args; i++)
    sluice_list_builder_take (builder, dtl_eval (ev, node->args[i]));
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_combine (DtlEval *ev, const DtlNode *node)
{
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (guint i = 0; i < node->n_args; i++)
    {
      g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[i]);

      for (size_t j = 0; j < dtl_count (v); j++)
        if (dtl_kind (dtl_at (v, j)) != SLUICE_VALUE_NULL)
          sluice_list_builder_add (builder, dtl_at (v, j));
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_flatten (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  SluiceListBuilder *builder;

  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return g_steal_pointer (&v);
  builder = sluice_list_builder_new ();
  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);

      if (dtl_kind (item) == SLUICE_VALUE_LIST)
        for (size_t j = 0; j < dtl_count (item); j++)
          sluice_list_builder_add (builder, dtl_at (item, j));
      else
        sluice_list_builder_add (builder, item);
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_count (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_value_new_integer ((int64_t) dtl_count (v));
}

static SluiceValue *
fn_first (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return sluice_value_ref (dtl_first (v));
}

static SluiceValue *
fn_last (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  size_t n;

  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return g_steal_pointer (&v);
  n = sluice_value_list_get_length (v);
  return n ? sluice_value_ref (sluice_value_list_get (v, n - 1)) : dtl_null ();
}

static SluiceValue *
fn_nth (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) index = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  int64_t i, n;

  if (dtl_kind (index) != SLUICE_VALUE_INTEGER)
    return dtl_null ();
  i = sluice_value_get_integer (index);
  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return i == 0 ? g_steal_pointer (&v) : dtl_null ();
  n = (int64_t) sluice_value_list_get_length (v);
  if (i < 0)
    i += n;
  if (i < 0 || i >= n)
    return dtl_null ();
  return sluice_value_ref (sluice_value_list_get (v, (size_t) i));
}

static SluiceValue *
fn_slice (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) start = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) end = node->n_args >= 3 ? dtl_eval (ev, node->args[1]) : NULL;
  g_autoptr (SluiceValue) stride = node->n_args == 4 ? dtl_eval (ev, node->args[2]) : NULL;
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  int64_t n, step = 1, a, b;
  gboolean has_start, has_end;
  SluiceListBuilder *builder;

  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return dtl_null ();
  n = (int64_t) sluice_value_list_get_length (v);
  has_start = dtl_kind (start) == SLUICE_VALUE_INTEGER;
  has_end = end != NULL && dtl_kind (end) == SLUICE_VALUE_INTEGER;
  if (stride != NULL && dtl_kind (stride) == SLUICE_VALUE_INTEGER)
    step = sluice_value_get_integer (stride);
  if (step == 0)
    return dtl_null ();
  builder = sluice_list_builder_new ();
  if (step > 0)
    {
      sluice_dtl_slice_bounds (n, has_start, has_start ? sluice_value_get_integer (start) : 0,
                               has_end, has_end ? sluice_value_get_integer (end) : 0, &a, &b);
      for (int64_t i = a; i < b; i += step)
        sluice_list_builder_add (builder, sluice_value_list_get (v, (size_t) i));
    }
  else
    {
      /* Python's rules for a negative stride. */
      a = has_start ? sluice_value_get_integer (start) : n - 1;
      b = has_end ? sluice_value_get_integer (end) : -n - 1;
      if (a < 0)
        a += n;
      if (a >= n)
        a = n - 1;
      if (b < 0)
        b += n;
      if (b < -1)
        b = -1;
      for (int64_t i = a; i > b && i >= 0; i += step)
        sluice_list_builder_add (builder, sluice_value_list_get (v, (size_t) i));
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_insert (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) index = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  g_autoptr (SluiceValue) object = dtl_eval (ev, node->args[2]);
  int64_t n = (int64_t) dtl_count (v), at;
  SluiceListBuilder *builder;

  if (dtl_kind (index) != SLUICE_VALUE_INTEGER)
    return dtl_null ();
  at = sluice_value_get_integer (index);
  if (at < 0)
    at = MAX (0, at + n);
  at = MIN (at, n);
  builder = sluice_list_builder_new ();
  for (int64_t i = 0; i <= n; i++)
    {
      if (i == at)
        sluice_list_builder_add (builder, object);
      if (i < n)
        sluice_list_builder_add (builder, dtl_at (v, (size_t) i));
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_range (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) a = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) b = node->n_args >= 2 ? dtl_eval (ev, node->args[1]) : NULL;
  g_autoptr (SluiceValue) c = node->n_args == 3 ? dtl_eval (ev, node->args[2]) : NULL;
  int64_t start = 0, stop, step = 1;
  SluiceListBuilder *builder;

  if (dtl_kind (a) != SLUICE_VALUE_INTEGER || (b && dtl_kind (b) != SLUICE_VALUE_INTEGER)
      || (c && dtl_kind (c) != SLUICE_VALUE_INTEGER))
    return dtl_null ();
  if (b != NULL)
    {
      start = sluice_value_get_integer (a);
      stop = sluice_value_get_integer (b);
    }
  else
    stop = sluice_value_get_integer (a);
  if (c != NULL)
    step = sluice_value_get_integer (c);
  if (step == 0)
    return dtl_null ();
  builder = sluice_list_builder_new ();
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
    sluice_list_builder_take (builder, sluice_value_new_integer (i));
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_reversed (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);
  SluiceListBuilder *builder;
  size_t n;

  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return g_steal_pointer (&v);
  n = sluice_value_list_get_length (v);
  builder = sluice_list_builder_new ();
  for (size_t i = n; i > 0; i--)
    sluice_list_builder_add (builder, sluice_value_list_get (v, i - 1));
  return sluice_list_builder_end (builder);
}

/* Sorting by a key, stable: ties keep their input order. */
typedef struct
{
  SluiceValue *key;
  SluiceValue *item;
  size_t pos;
} SortEntry;

static int
compare_entries (gconstpointer pa, gconstpointer pb, gpointer user_data)
{
  const SortEntry *a = pa, *b = pb;
  int c = sluice_value_compare (a->key, b->key);

  if (GPOINTER_TO_INT (user_data))
    c = -c;
  if (c == 0)
    c = a->pos < b->pos ? -1 : a->pos > b->pos;
  return c;
}

static SluiceValue *
sort_common (DtlEval *ev, const DtlNode *node, gboolean descending)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;
  SortEntry *entries;
  SluiceListBuilder *builder;
  size_t n;

  if (dtl_kind (v) != SLUICE_VALUE_LIST)
    return g_steal_pointer (&v);
  n = sluice_value_list_get_length (v);
  entries = g_new (SortEntry, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    {
      entries[i].item = sluice_value_list_get (v, i);
      entries[i].key = fn ? sluice_dtl_eval_with (ev, fn, entries[i].item) : sluice_value_ref (entries[i].item);
      entries[i].pos = i;
    }
  g_qsort_with_data (entries, (gint) n, sizeof (SortEntry), compare_entries, GINT_TO_POINTER (descending));
  builder = sluice_list_builder_new ();
  for (size_t i = 0; i < n; i++)
    {
      sluice_list_builder_add (builder, entries[i].item);
      sluice_value_unref (entries[i].key);
    }
  g_free (entries);
  return sluice_list_builder_end (builder);
}

static SluiceValue *fn_sorted (DtlEval *ev, const DtlNode *node) { return sort_common (ev, node, FALSE); }
static SluiceValue *fn_sorted_desc (DtlEval *ev, const DtlNode *node) { return sort_common (ev, node, TRUE); }

static SluiceValue *
fn_distinct (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);
      SluiceValue *key = fn ? sluice_dtl_eval_with (ev, fn, item) : sluice_value_ref (item);
      gboolean seen = FALSE;

      for (guint j = 0; j < keys->len && !seen; j++)
        seen = sluice_dtl_value_equal (keys->pdata[j], key);
      if (seen)
        {
          sluice_value_unref (key);
          continue;
        }
      g_ptr_array_add (keys, key);
      sluice_list_builder_add (builder, item);
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_filter (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);

      if (fn ? sluice_dtl_test_with (ev, fn, item) : sluice_dtl_truthy (item))
        sluice_list_builder_add (builder, item);
    }
  return sluice_list_builder_end (builder);
}

static SluiceValue *
fn_map (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    sluice_list_builder_take (builder, sluice_dtl_eval_with (ev, node->args[0], dtl_at (v, i)));
  return sluice_list_builder_end (builder);
}

static SluiceValue *
map_dict_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  SluiceDictBuilder *builder;
  size_t n, added = 0;

  if (dtl_kind (item) != SLUICE_VALUE_DICT)
    return NULL;
  n = sluice_value_dict_get_size (item);
  builder = sluice_dict_builder_new ();
  for (size_t i = 0; i < n; i++)
    {
      g_autoptr (SluiceValue) key_in = sluice_value_new_string (sluice_value_dict_get_key (item, i), -1);
      g_autoptr (SluiceValue) key = sluice_dtl_eval_with (ev, node->args[0], key_in);

      if (dtl_kind (key) != SLUICE_VALUE_STRING)
        continue;
      sluice_dict_builder_take (builder, sluice_value_get_string (key, NULL),
                                sluice_dtl_eval_with (ev, node->args[1], sluice_value_dict_get_value (item, i)));
      added++;
    }
  if (added == 0)
    {
      sluice_dict_builder_free (builder);
      return NULL;
    }
  return sluice_dict_builder_end (builder);
}

static SluiceValue *
fn_map_dict (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[2]);

  return sluice_dtl_map (ev, node, v, map_dict_one, NULL);
}

static SluiceValue *
fn_map_values (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[1]);
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *d = dtl_at (v, i);

      if (dtl_kind (d) != SLUICE_VALUE_DICT)
        continue;
      for (size_t j = 0; j < sluice_value_dict_get_size (d); j++)
        sluice_list_builder_take (builder,
                                  sluice_dtl_eval_with (ev, node->args[0], sluice_value_dict_get_value (d, j)));
    }
  return sluice_list_builder_end (builder);
}

/* Groups in first-seen order: keys[i] collects members[i]. */
typedef struct
{
  GPtrArray *keys;
  GPtrArray *members; /* of SluiceListBuilder */
} Groups;

static void
groups_add (Groups *groups, SluiceValue *key, SluiceValue *member)
{
  for (guint i = 0; i < groups->keys->len; i++)
    if (sluice_dtl_value_equal (groups->keys->pdata[i], key))
      {
        sluice_list_builder_take (groups->members->pdata[i], member);
        sluice_value_unref (key);
        return;
      }
  g_ptr_array_add (groups->keys, key);
  g_ptr_array_add (groups->members, sluice_list_builder_new ());
  sluice_list_builder_take (groups->members->pdata[groups->members->len - 1], member);
}

static SluiceValue *
fn_group (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[2]);
  Groups groups = { g_ptr_array_new (), g_ptr_array_new () };
  SluiceListBuilder *out = sluice_list_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);

      groups_add (&groups, sluice_dtl_eval_with (ev, node->args[0], item),
                  sluice_dtl_eval_with (ev, node->args[1], item));
    }
  for (guint i = 0; i < groups.keys->len; i++)
    {
      SluiceListBuilder *pair = sluice_list_builder_new ();

      sluice_list_builder_take (pair, groups.keys->pdata[i]);
      sluice_list_builder_take (pair, sluice_list_builder_end (groups.members->pdata[i]));
      sluice_list_builder_take (out, sluice_list_builder_end (pair));
    }
  g_ptr_array_unref (groups.keys);
  g_ptr_array_unref (groups.members);
  return sluice_list_builder_end (out);
}

static SluiceValue *
fn_group_by (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *key_fn = node->n_args >= 2 ? node->args[0] : NULL;
  const DtlNode *string_fn = node->n_args == 3 ? node->args[1] : NULL;
  Groups groups = { g_ptr_array_new (), g_ptr_array_new () };
  SluiceDictBuilder *out = sluice_dict_builder_new ();

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);

      groups_add (&groups, key_fn ? sluice_dtl_eval_with (ev, key_fn, item) : sluice_value_ref (item),
                  sluice_value_ref (item));
    }
  for (guint i = 0; i < groups.keys->len; i++)
    {
      SluiceValue *key = groups.keys->pdata[i];
      SluiceValue *members = sluice_list_builder_end (groups.members->pdata[i]);
      g_autoptr (SluiceValue) text = NULL;

      if (string_fn != NULL)
        text = sluice_dtl_eval_with (ev, string_fn, key);
      if (text != NULL && dtl_kind (text) == SLUICE_VALUE_STRING)
        sluice_dict_builder_take (out, sluice_value_get_string (text, NULL), members);
      else
        {
          g_autoptr (GString) json = g_string_new (NULL);

          sluice_dtl_write_json (json, key, TRUE);
          sluice_dict_builder_take (out, json->str, members);
        }
      sluice_value_unref (key);
    }
  g_ptr_array_unref (groups.keys);
  g_ptr_array_unref (groups.members);
  return sluice_dict_builder_end (out);
}

typedef struct
{
  int64_t next;
} EnumSpec;

static SluiceValue *
enumerate_one (DtlEval *ev, const DtlNode *node, SluiceValue *item, gpointer data)
{
  EnumSpec *spec = data;
  SluiceDictBuilder *builder = sluice_dict_builder_new ();

  sluice_dict_builder_take (builder, "key", sluice_value_new_integer (spec->next++));
  sluice_dict_builder_add (builder, "value", item);
  return sluice_dict_builder_end (builder);
}

static SluiceValue *
fn_enumerate (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) start = node->n_args == 2 ? dtl_eval (ev, node->args[0]) : NULL;
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  EnumSpec spec = { 0 };

  if (start != NULL)
    {
      if (dtl_kind (start) != SLUICE_VALUE_INTEGER)
        return dtl_null ();
      spec.next = sluice_value_get_integer (start);
    }
  if (dtl_kind (v) == SLUICE_VALUE_NULL)
    return dtl_null ();
  return sluice_dtl_map (ev, node, v, enumerate_one, &spec);
}

static gboolean
contains (SluiceValue *items, SluiceValue *x)
{
  for (size_t i = 0; i < dtl_count (items); i++)
    if (sluice_dtl_value_equal (dtl_at (items, i), x))
      return TRUE;
  return FALSE;
}

static SluiceValue *
fn_in (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) values = dtl_eval (ev, node->args[0]);
  g_autoptr (SluiceValue) items = dtl_eval (ev, node->args[1]);
  size_t n = dtl_count (values);

  if (n == 0)
    return dtl_bool (FALSE);
  for (size_t i = 0; i < n; i++)
    if (!contains (items, dtl_at (values, i)))
      return dtl_bool (FALSE);
  return dtl_bool (TRUE);
}

static SluiceValue *
fn_is_list (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_kind (v) == SLUICE_VALUE_LIST);
}

static SluiceValue *
fn_is_empty (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_count (v) == 0);
}

static SluiceValue *
fn_is_not_empty (DtlEval *ev, const DtlNode *node)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[0]);

  return dtl_bool (dtl_count (v) != 0);
}

static SluiceValue *
extreme (DtlEval *ev, const DtlNode *node, int sign)
{
  g_autoptr (SluiceValue) v = dtl_eval (ev, node->args[node->n_args - 1]);
  const DtlNode *fn = node->n_args == 2 ? node->args[0] : NULL;
  SluiceValue *best = NULL;
  g_autoptr (SluiceValue) best_key = NULL;

  for (size_t i = 0; i < dtl_count (v); i++)
    {
      SluiceValue *item = dtl_at (v, i);
      SluiceValue *key;

      if (dtl_kind (item) == SLUICE_VALUE_NULL)
        continue;
      key = fn ? sluice_dtl_eval_with (ev, fn, item) : sluice_value_ref (item);
      if (best == NULL || sign * sluice_value_compare (key, best_key) > 0)
        {
          best = item;
          g_clear_pointer (&best_key, sluice_value_unref);
          best_key = key;
        }
      else
        sluice_value_unref (key);
    }
  return best ? sluice_value_ref (best) : dtl_null ();
}

static SluiceValue *fn_max (DtlEval *ev, const DtlNode *node) { return extreme (ev, node, 1); }
static SluiceValue *fn_min (DtlEval *ev, const DtlNode *node) { return extreme (ev, node, -1); }

const DtlFunction sluice_dtl_fn_lists[] = {
  { "list", 0, DTL_ARGS_UNLIMITED, 0, fn_list },
  { "combine", 1, DTL_ARGS_UNLIMITED, 0, fn_combine },
  { "flatten", 1, 1, 0, fn_flatten },
  { "count", 1, 1, 0, fn_count },
  { "first", 1, 1, 0, fn_first },
  { "last", 1, 1, 0, fn_last },
  { "nth", 2, 2, 0, fn_nth },
  { "slice", 2, 4, 0, fn_slice },
  { "insert", 3, 3, 0, fn_insert },
  { "range", 1, 3, 0, fn_range },
  { "reversed", 1, 1, 0, fn_reversed },
  { "sorted", 1, 2, 0, fn_sorted },
  { "sorted-descending", 1, 2, 0, fn_sorted_desc },
  { "distinct", 1, 2, 0, fn_distinct },
  { "filter", 1, 2, 0, fn_filter },
  { "map", 2, 2, 0, fn_map },
  { "map-dict", 3, 3, 0, fn_map_dict },
  { "map-values", 2, 2, 0, fn_map_values },
  { "group", 3, 3, 0, fn_group },
  { "group-by", 1, 3, 0, fn_group_by },
  { "enumerate", 1, 2, 0, fn_enumerate },
  { "in", 2, 2, 0, fn_in },
  { "is-list", 1, 1, 0, fn_is_list },
  { "is-empty", 1, 1, 0, fn_is_empty },
  { "is-not-empty", 1, 1, 0, fn_is_not_empty },
  { "max", 1, 2, 0, fn_max },
  { "min", 1, 2, 0, fn_min },
  { NULL },
};
