/* dtl-path.c — parsing path strings and walking them over values (see dtl-path.h). */
#include "dtl-path.h"
#include "sluice-dtl.h"

#include <string.h>

gboolean
sluice_dtl_path_is_path (const char *text)
{
  if (text[0] != '_')
    return FALSE;
  if (text[1] == '.')
    return TRUE;
  return strchr ("STPRB", text[1]) != NULL && text[1] != '\0' && text[2] == '.';
}

static DtlVar
var_of (char c)
{
  switch (c)
    {
    case 'S': return DTL_VAR_S;
    case 'T': return DTL_VAR_T;
    case 'P': return DTL_VAR_P;
    case 'R': return DTL_VAR_R;
    case 'B': return DTL_VAR_B;
    default: return DTL_VAR_CURRENT;
    }
}

DtlPath *
sluice_dtl_path_parse (const char *text, GError **error)
{
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func (g_free);
  DtlPath *path;
  const char *p;

  g_return_val_if_fail (sluice_dtl_path_is_path (text), NULL);
  path = g_new0 (DtlPath, 1);
  path->var = text[1] == '.' ? DTL_VAR_CURRENT : var_of (text[1]);
  p = text[1] == '.' ? text + 2 : text + 3;

  /* "_S." alone is the variable itself. */
  while (*p != '\0')
    {
      GString *step = g_string_new (NULL);

      if (*p == '\'')
        {
          p++;
          for (;;)
            {
              if (*p == '\0')
                {
                  g_string_free (step, TRUE);
                  sluice_dtl_path_free (path);
                  g_set_error (error, SLUICE_DTL_ERROR, SLUICE_DTL_ERROR_COMPILE,
                               "unterminated quote in path '%s'", text);
                  return NULL;
                }
              if (*p == '\'' && p[1] == '\'')
                {
                  g_string_append_c (step, '\'');
                  p += 2;
                }
              else if (*p == '\'')
                {
                  p++;
                  break;
                }
              else
                g_string_append_c (step, *p++);
            }
          /* Text after a closing quote, up to the next dot, belongs to the same step. */
          while (*p != '\0' && *p != '.')
            g_string_append_c (step, *p++);
        }
      else
        while (*p != '\0' && *p != '.')
          g_string_append_c (step, *p++);
      g_ptr_array_add (steps, g_string_free (step, FALSE));
      if (*p == '.')
        {
          p++;
          if (*p == '\0')
            g_ptr_array_add (steps, g_strdup (""));
        }
    }
  path->n_steps = steps->len;
  g_ptr_array_add (steps, NULL);
  path->steps = (char **) g_ptr_array_steal (steps, NULL);
  path->step_lens = g_new (size_t, path->n_steps + 1);
  path->hints = g_new0 (size_t, path->n_steps + 1);
  for (guint i = 0; i < path->n_steps; i++)
    path->step_lens[i] = strlen (path->steps[i]);
  return path;
}

void
sluice_dtl_path_free (DtlPath *path)
{
  if (path == NULL)
    return;
  g_strfreev (path->steps);
  g_free (path->step_lens);
  g_free (path->hints);
  g_free (path);
}

guint
sluice_dtl_path_walk_dicts (DtlPath *path, guint first, SluiceValue *start, SluiceValue **ret_value)
{
  SluiceValue *value = start;
  guint i;

  if (value == NULL)
    {
      *ret_value = sluice_value_new_null ();
      return path->n_steps;
    }
  for (i = first; i < path->n_steps; i++)
    {
      SluiceValueKind kind = sluice_value_get_kind (value);

      if (kind == SLUICE_VALUE_LIST)
        break;
      if (kind != SLUICE_VALUE_DICT)
        {
          *ret_value = sluice_value_new_null ();
          return path->n_steps;
        }
      value = sluice_value_dict_lookup_hinted (value, path->steps[i], (gssize) path->step_lens[i],
                                               &path->hints[i]);
      if (value == NULL)
        {
          *ret_value = sluice_value_new_null ();
          return path->n_steps;
        }
    }
  *ret_value = value;
  return i;
}

/* Appends what one step finds in @value: a list found is spliced in. */
static void
step_into (GPtrArray *out, SluiceValue *value, const char *key)
{
  SluiceValue *found;

  if (sluice_value_get_kind (value) != SLUICE_VALUE_DICT)
    return;
  found = sluice_value_dict_lookup (value, key);
  if (found == NULL)
    return;
  if (sluice_value_get_kind (found) == SLUICE_VALUE_LIST)
    {
      size_t n = sluice_value_list_get_length (found);

      for (size_t i = 0; i < n; i++)
        g_ptr_array_add (out, sluice_value_list_get (found, i));
    }
  else if (sluice_value_get_kind (found) != SLUICE_VALUE_NULL)
    g_ptr_array_add (out, found);
}

static SluiceValue *
list_of (GPtrArray *items)
{
  SluiceListBuilder *builder = sluice_list_builder_new ();

  for (guint i = 0; i < items->len; i++)
    sluice_list_builder_add (builder, items->pdata[i]);
  return sluice_list_builder_end (builder);
}

SluiceValue *
sluice_dtl_path_walk (SluiceValue *start, char *const *steps, guint n_steps, gboolean multi)
{
  SluiceValue *value = start;
  g_autoptr (GPtrArray) cur = NULL;
  g_autoptr (GPtrArray) next = NULL;
  guint i = 0;

  if (value == NULL)
    return sluice_value_new_null ();

  /* Fast path: single dicts all the way, no allocation. */
  if (!multi)
    {
      for (; i < n_steps; i++)
        {
          SluiceValueKind kind = sluice_value_get_kind (value);

          if (kind == SLUICE_VALUE_LIST)
            break;
          if (kind != SLUICE_VALUE_DICT)
            return sluice_value_new_null ();
          value = sluice_value_dict_lookup (value, steps[i]);
          if (value == NULL)
            return sluice_value_new_null ();
        }
      if (i == n_steps)
        return sluice_value_ref (value);
    }

  /* Fan out from here. */
  cur = g_ptr_array_new ();
  if (sluice_value_get_kind (value) == SLUICE_VALUE_LIST)
    {
      size_t n = sluice_value_list_get_length (value);

      for (size_t j = 0; j < n; j++)
        g_ptr_array_add (cur, sluice_value_list_get (value, j));
    }
  else
    g_ptr_array_add (cur, value);
  if (i == n_steps)
    return list_of (cur);
  next = g_ptr_array_new ();
  for (; i < n_steps; i++)
    {
      GPtrArray *tmp;

      g_ptr_array_set_size (next, 0);
      for (guint j = 0; j < cur->len; j++)
        step_into (next, cur->pdata[j], steps[i]);
      tmp = cur;
      cur = next;
      next = tmp;
    }
  return list_of (cur);
}

/* Keys of @dict that a namespace-aware step @step selects. */
static void
ns_step_into (GPtrArray *out, SluiceValue *value, const char *step, const char *property_ns)
{
  size_t n;

  if (sluice_value_get_kind (value) != SLUICE_VALUE_DICT)
    return;
  if (g_str_has_prefix (step, "::"))
    {
      step_into (out, value, step + 2);
      return;
    }
  if (step[0] == ':')
    {
      g_autofree char *key = g_strconcat (property_ns ? property_ns : "", step, NULL);

      step_into (out, value, key);
      return;
    }
  if (strchr (step, ':') != NULL)
    {
      step_into (out, value, step);
      return;
    }
  n = sluice_value_dict_get_size (value);
  for (size_t i = 0; i < n; i++)
    {
      const char *key = sluice_value_dict_get_key (value, i);
      const char *colon = strrchr (key, ':');
      const char *ident = colon ? colon + 1 : key;

      if (strcmp (ident, step) == 0)
        step_into (out, value, key);
    }
}

SluiceValue *
sluice_dtl_path_walk_ns (SluiceValue *start, char *const *steps, guint n_steps,
                         const char *property_ns)
{
  g_autoptr (GPtrArray) cur = g_ptr_array_new ();
  g_autoptr (GPtrArray) next = g_ptr_array_new ();
  gboolean multi = sluice_value_get_kind (start) == SLUICE_VALUE_LIST;

  if (n_steps == 0)
    return sluice_value_ref (start);
  if (multi)
    for (size_t j = 0; j < sluice_value_list_get_length (start); j++)
      g_ptr_array_add (cur, sluice_value_list_get (start, j));
  else
    g_ptr_array_add (cur, start);
  for (guint i = 0; i < n_steps; i++)
    {
      GPtrArray *tmp;
      guint before = 0;

      g_ptr_array_set_size (next, 0);
      for (guint j = 0; j < cur->len; j++)
        {
          SluiceValue *v = cur->pdata[j];
          SluiceValue *exact = NULL;

          before = next->len;
          ns_step_into (next, v, steps[i], property_ns);
          /* One match of a non-list value keeps a single value single. */
          if (sluice_value_get_kind (v) == SLUICE_VALUE_DICT && !g_str_has_prefix (steps[i], ":"))
            exact = sluice_value_dict_lookup (v, steps[i]);
          if (exact != NULL && sluice_value_get_kind (exact) == SLUICE_VALUE_LIST)
            multi = TRUE;
          if (next->len - before > 1)
            multi = TRUE;
        }
      tmp = cur;
      cur = next;
      next = tmp;
    }
  if (!multi)
    return cur->len == 0 ? sluice_value_new_null () : sluice_value_ref (cur->pdata[0]);
  return list_of (cur);
}
