/* sluice-config-substitute.c — $ENV(name) and $SECRET(name) (see sluice-config-substitute.h). */
#include <string.h>

#include "sluice-config-source.h"
#include "sluice-config-substitute.h"

typedef struct
{
  const SluiceSecrets *secrets;
  const char *secrets_file;
  const char *const *envp;
  GHashTable *secret_pointers;
  GPtrArray *secret_values;
  SluiceConfigReportFunc report;
  gpointer user_data;
  guint n_problems;
} Substitution;

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static void
problem (Substitution *sub, const char *pointer, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
problem (Substitution *sub, const char *pointer, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sub->n_problems++;
  if (sub->report != NULL)
    sub->report (pointer, FALSE, message, sub->user_data);
}

/* Returns the substituted string, or NULL when @text has no reference (or a broken one, which is
 * reported). */
static char *
substitute_string (Substitution *sub, const char *text, const char *pointer, gboolean *ret_secret)
{
  g_autoptr (GString) out = NULL;
  const char *p = text;
  gboolean changed = FALSE, broken = FALSE;

  *ret_secret = FALSE;
  if (strstr (text, "$ENV(") == NULL && strstr (text, "$SECRET(") == NULL)
    return NULL;

  out = g_string_new (NULL);
  while (*p != '\0')
    {
      gboolean is_secret;
      const char *name_start, *name_end;
      const char *kind;
      g_autofree char *name = NULL;

      if (g_str_has_prefix (p, "$ENV("))
        is_secret = FALSE;
      else if (g_str_has_prefix (p, "$SECRET("))
        is_secret = TRUE;
      else
        {
          g_string_append_c (out, *p++);
          continue;
        }
      kind = is_secret ? "$SECRET" : "$ENV";
      name_start = p + strlen (kind) + 1;
      name_end = name_start;
      while (is_name_char (*name_end))
        name_end++;
      if (*name_end != ')')
        {
          broken = TRUE;
          if (*name_end == '$')
            problem (sub, pointer, "%s(…) contains another reference: $ENV and $SECRET cannot be nested",
                     kind);
          else if (*name_end == '\0')
            problem (sub, pointer, "unterminated %s( reference: expected ')'", kind);
          else
            problem (sub, pointer,
                     "invalid character in a %s(name) reference: expected ASCII letters, digits, "
                     "'_', '-', '.' or ':' and then ')'", kind);
          break;
        }
      if (name_end == name_start)
        {
          broken = TRUE;
          problem (sub, pointer, "empty name in %s()", kind);
          break;
        }
      name = g_strndup (name_start, name_end - name_start);
      p = name_end + 1;
      changed = TRUE;
      if (is_secret)
        {
          const char *value = sub->secrets != NULL ? sluice_secrets_lookup (sub->secrets, name) : NULL;

          if (value == NULL)
            {
              broken = TRUE;
              if (sub->secrets_file == NULL)
                problem (sub, pointer,
                         "unknown secret '%s' in $SECRET(%s): no secrets file was given "
                         "(sluiced --secrets FILE)", name, name);
              else if (sub->secrets == NULL)
                problem (sub, pointer,
                         "secret '%s' in $SECRET(%s) is unavailable: the secrets file %s could not "
                         "be used", name, name, sub->secrets_file);
              else
                problem (sub, pointer, "unknown secret '%s' in $SECRET(%s): not in the secrets file %s",
                         name, name, sub->secrets_file);
              continue;
            }
          *ret_secret = TRUE;
          if (sub->secret_values != NULL)
            g_ptr_array_add (sub->secret_values, g_strdup (value));
          g_string_append (out, value);
        }
      else
        {
          const char *value = g_environ_getenv ((char **) sub->envp, name);

          if (value == NULL)
            {
              broken = TRUE;
              problem (sub, pointer, "environment variable '%s' in $ENV(%s) is not set", name, name);
              continue;
            }
          g_string_append (out, value);
        }
    }
  if (!changed || broken)
    {
      *ret_secret = FALSE;
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
substitute_node (Substitution *sub, JsonNode *node, GString *pointer)
{
  gsize length = pointer->len;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *key;
      JsonNode *member;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &key, &member))
        {
          sluice_json_pointer_append (pointer, key);
          substitute_node (sub, member, pointer);
          g_string_truncate (pointer, length);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          sluice_json_pointer_append_index (pointer, i);
          substitute_node (sub, json_array_get_element (array, i), pointer);
          g_string_truncate (pointer, length);
        }
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      gboolean is_secret = FALSE;
      g_autofree char *value = substitute_string (sub, json_node_get_string (node), pointer->str,
                                                  &is_secret);

      if (value != NULL)
        {
          json_node_set_string (node, value);
          if (is_secret && sub->secret_pointers != NULL)
            g_hash_table_add (sub->secret_pointers, g_strdup (pointer->str));
        }
    }
}

guint
sluice_config_substitute (JsonNode *node, const SluiceSecrets *secrets, const char *secrets_file,
                          const char *const *envp, GHashTable *secret_pointers,
                          GPtrArray *secret_values, SluiceConfigReportFunc report,
                          gpointer user_data)
{
  Substitution sub = { secrets, secrets_file, envp, secret_pointers, secret_values, report, user_data, 0 };
  g_autoptr (GString) pointer = g_string_new (NULL);

  substitute_node (&sub, node, pointer);
  return sub.n_problems;
}
